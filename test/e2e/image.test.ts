import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importBaseImage } from '../harness/base-image.js';
import { withRealEngines } from '../harness/e2e.js';
import { run, waitFor } from '../harness/exec.js';
import { REPO_ROOT } from '../harness/skep.js';
import { MODERN } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

const IMAGE = 'skep-image-test:latest';
/** The port the containerised managers listen on, in node1's namespace (host networking). */
const API_PORT = 4000;
const QUIET_API_PORT = 4001;
const STATUS_PORT = 9323;

/** Prints which dev-only packages the image has, then whether the zookeeper addon loads. */
const DEV_PACKAGES_AND_ZOOKEEPER = `
const found = ['ava', 'typescript', 'eslint', 'prettier', 'playwright-core', 'node'].filter((p) =>
  require('node:fs').existsSync('/opt/skep/node_modules/' + p));
console.log('dev packages: ' + (found.join(' ') || 'none'));
import('/opt/skep/node_modules/zookeeper/lib/index.js').then(() => console.log('zookeeper: loads'));
`;

/**
 * Skep's own container image: built from the repository's Dockerfile through Skep (BuildKit) on a base made of
 * Debian's packages, run on one of the cluster's engines as classic's image was (`docker run IMAGE manage ...`),
 * and driven with the docker CLI.
 */
withRealEngines((test) => {
  const e2e = useCluster(test, 'image', {
    size: 2,
    engines: ['28.5', '28.5'],
    manager: true,
  });
  const config = mkdtempSync(join(tmpdir(), 'skep-docker-config-'));
  mkdirSync(join(config, 'cli-plugins'));
  symlinkSync(
    join(MODERN.cliPlugins, 'docker-buildx'),
    join(config, 'cli-plugins', 'docker-buildx'),
  );
  const env = { DOCKER_CONFIG: config, DOCKER_CLI_HINTS: 'false' };
  /** The docker CLI at an address: the containerised manager's, or an engine's socket. */
  const docker = (host: string, args: string[], timeoutMs = 120_000) =>
    run(MODERN.cli, args, { env: { ...process.env, ...env, DOCKER_HOST: host }, timeoutMs });
  const node1 = () => e2e.cluster.engine('node1');
  const onNode1 = (args: string[], timeoutMs?: number) =>
    docker(`unix://${node1().socket}`, args, timeoutMs);
  const imageSkep = () => `tcp://${node1().ip}:${API_PORT}`;
  const health = async (name: string) =>
    JSON.parse((await onNode1(['inspect', '--format', '{{json .State.Health}}', name])).stdout) as {
      Status: string;
      Log: { ExitCode: number; Output: string }[] | null;
    };

  test.serial(
    'the image builds through Skep from the Dockerfile, on a base of Debian packages',
    async (t) => {
      t.timeout(10 * 60_000);
      const base = await importBaseImage(node1().socket);
      const built = await e2e.skep.docker(
        [
          'build',
          '--progress',
          'plain',
          '-t',
          IMAGE,
          '--build-arg',
          `BASE_IMAGE=${base}`,
          '--build-arg',
          'constraint:node==node1',
          REPO_ROOT,
        ],
        { cli: MODERN.cli, env, timeoutMs: 8 * 60_000 },
      );
      t.is(built.code, 0, built.stderr.split('\n').slice(-40).join('\n'));
      const inspect = await onNode1([
        'image',
        'inspect',
        '--format',
        '{{json .Config.Entrypoint}} {{.Config.User}} {{.Config.WorkingDir}}',
        IMAGE,
      ]);
      t.is(
        inspect.stdout.trim(),
        '["node","/opt/skep/build/core/cli/swarm.js"] 65532:65532 /etc/skep',
      );
      // pruned to production, with the optional zookeeper addon as the checkout built it
      const contents = await onNode1([
        'run',
        '--rm',
        '--entrypoint',
        'node',
        IMAGE,
        '-e',
        DEV_PACKAGES_AND_ZOOKEEPER,
      ]);
      t.is(contents.stdout, 'dev packages: none\nzookeeper: loads\n', contents.stderr);
      const version = await onNode1(['run', '--rm', IMAGE, '--version']);
      t.regex(version.stdout, /^swarm version 1\.2\.9 \(skep [^)]+\)\n$/, version.stderr);
    },
  );

  test.serial(
    'run like classic (`docker run IMAGE manage ...`): non-root, healthy on its operator listener, and serving the cluster',
    async (t) => {
      t.timeout(5 * 60_000);
      const nodes = e2e.cluster.discovery;
      for (const name of ['skep-image', 'skep-image-quiet'])
        e2e.teardown(() => onNode1(['rm', '-f', name]));
      const started = await onNode1([
        'run',
        '-d',
        '--name',
        'skep-image',
        '--network',
        'host',
        IMAGE,
        'manage',
        '-H',
        `tcp://${node1().ip}:${API_PORT}`,
        '--status-addr',
        `127.0.0.1:${STATUS_PORT}`,
        nodes,
      ]);
      t.is(started.code, 0, started.stderr);
      // and one exactly as classic's README ran it (its own network, the image's SWARM_HOST=:2375 published),
      // without the operator listener: the check has nothing to ask and must not fail it
      const quiet = await onNode1([
        'run',
        '-d',
        '--name',
        'skep-image-quiet',
        '-p',
        `${QUIET_API_PORT}:2375`,
        IMAGE,
        'manage',
        nodes,
      ]);
      t.is(quiet.code, 0, quiet.stderr);

      const pid = (
        await onNode1(['inspect', '--format', '{{.State.Pid}}', 'skep-image'])
      ).stdout.trim();
      const uid = /^Uid:\s+(\d+)\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      t.deepEqual(
        uid?.slice(1),
        ['65532', '65532'],
        'the manager runs as the image’s unprivileged user',
      );

      for (const [name, says] of [
        ['skep-image', /^healthy: http:\/\/127\.0\.0\.1:9323\/healthz$/m],
        ['skep-image-quiet', /operator listener is off/],
      ] as const) {
        const state = await waitFor(
          `${name} to be healthy`,
          async () => {
            const h = await health(name);
            if (h.Status === 'unhealthy') throw new Error(`unhealthy: ${JSON.stringify(h.Log)}`);
            return h.Status === 'healthy' ? h : undefined;
          },
          90_000,
          1000,
        );
        t.regex(state.Log?.at(-1)?.Output ?? '', says, name);
      }

      const containerised = (args: string[]) => docker(imageSkep(), args);
      for (const host of [imageSkep(), `tcp://${node1().ip}:${QUIET_API_PORT}`])
        await waitFor(
          `both nodes healthy behind the containerised manager at ${host}`,
          async () => {
            const info = await docker(host, ['info', '--format', '{{json .SystemStatus}}']);
            const healthy = (info.stdout.match(/" {2}└ Status","Healthy"/g) ?? []).length;
            return healthy === 2 ? true : undefined;
          },
          60_000,
          1000,
        );
      const ran = await containerised([
        'run',
        '-d',
        '--name',
        'through-the-image',
        'busybox',
        'sleep',
        '600',
      ]);
      t.is(ran.code, 0, ran.stderr);
      e2e.teardown(() => docker(imageSkep(), ['rm', '-f', 'through-the-image']));
      const ps = await containerised(['ps', '--format', '{{.Names}} {{.Status}}']);
      t.regex(ps.stdout, /^node[12]\/through-the-image Up /m, ps.stdout + ps.stderr);
    },
  );
});
