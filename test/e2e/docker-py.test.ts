import { fileURLToPath } from 'node:url';
import { TestCluster } from '../harness/cluster.js';
import { withRealEngines } from '../harness/e2e.js';
import { run } from '../harness/exec.js';
import { SkepProcess } from '../harness/skep.js';
import { PYTHON } from '../harness/support.js';

const CHECKS = fileURLToPath(new URL('../../../test/e2e/sdk/docker_py_checks.py', import.meta.url));

/** docker-py (Debian's python3-docker), as programs use it: it parses answers more strictly than the CLI. */
withRealEngines((test) => {
  let cluster: TestCluster;
  let skep: SkepProcess;

  test.before(async () => {
    cluster = await TestCluster.start({ prefix: 'skpy', subnet: 18, size: 3 });
    skep = await SkepProcess.start([cluster.discovery], { nodes: 3 });
  });
  test.after.always(async () => {
    await skep?.stop();
    await cluster?.stop();
  });

  test.serial('build, tag, load, networks, volumes and renames are found at once; load reports what it loaded', async (t) => {
    const res = await run(PYTHON, [CHECKS], { env: { ...process.env, DOCKER_HOST: skep.dockerHost }, timeoutMs: 120_000 });
    t.is(res.code, 0, res.stderr);
    const found = JSON.parse(res.stdout) as Record<string, unknown>;
    t.deepEqual(found.built_tags, ['pybuilt:1']);
    t.true(found.tagged);
    t.deepEqual(found.loaded_tags, ['busybox:latest']);
    t.true(found.network_found);
    t.true(found.volume_found);
    t.true(found.renamed_found);
  });
});
