import { fileURLToPath } from 'node:url';
import { withRealEngines } from '../harness/e2e.js';
import { run } from '../harness/exec.js';
import { PYTHON } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

const CHECKS = fileURLToPath(new URL('../../../test/e2e/sdk/docker_py_checks.py', import.meta.url));

/** docker-py (Debian's python3-docker), as programs use it: it parses answers more strictly than the CLI. */
withRealEngines((test) => {
  const e2e = useCluster(test, 'docker-py', { size: 3, manager: true });

  test.serial(
    'build, tag, load, networks, volumes and renames are found at once; load reports what it loaded',
    async (t) => {
      const res = await run(PYTHON, [CHECKS], {
        env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost },
        timeoutMs: 120_000,
      });
      t.is(res.code, 0, res.stderr);
      const found = JSON.parse(res.stdout) as Record<string, unknown>;
      t.deepEqual(found.built_tags, ['pybuilt:1']);
      t.true(found.tagged);
      t.deepEqual(found.loaded_tags, ['busybox:latest']);
      t.true(found.network_found);
      t.true(found.volume_found);
      t.true(found.renamed_found);
    },
  );
});
