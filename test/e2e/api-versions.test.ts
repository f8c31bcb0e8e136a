import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { SkepProcess } from '../harness/skep.js';
import { DOCKER_CLI_DEBIAN, MODERN } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

/**
 * Engines of different API versions behind one manager: dockerd 20.10 (API 1.41) beside 28.5 (1.51), and 28.5
 * engines that refuse what is older than 1.44 (DOCKER_MIN_API_VERSION, as Docker 29.0 to 29.2 do by default).
 */
withRealEngines((test) => {
  const e2e = useCluster(test, 'api-versions', {
    size: 4,
    engines: ['20.10', '28.5', '28.5', '28.5'],
    daemonEnv: [{}, {}, { DOCKER_MIN_API_VERSION: '1.44' }, { DOCKER_MIN_API_VERSION: '1.44' }],
  });
  let mixed: SkepProcess;
  let raised: SkepProcess;
  const config = mkdtempSync(join(tmpdir(), 'skep-docker-config-'));
  mkdirSync(join(config, 'cli-plugins'));
  symlinkSync(
    join(MODERN.cliPlugins, 'docker-buildx'),
    join(config, 'cli-plugins', 'docker-buildx'),
  );
  const today = (skep: SkepProcess, args: string[]) =>
    skep.docker(args, { cli: MODERN.cli, env: { DOCKER_CONFIG: config }, timeoutMs: 120_000 });
  const old = (skep: SkepProcess, args: string[], env: Record<string, string> = {}) =>
    skep.docker(args, { cli: DOCKER_CLI_DEBIAN, env, timeoutMs: 120_000 });
  const context = mkdtempSync(join(tmpdir(), 'skep-ctx-'));
  writeFileSync(
    join(context, 'Dockerfile'),
    'FROM busybox AS a\nRUN echo built > /built\nFROM busybox\nCOPY --from=a /built /built\n',
  );

  test.serial.before(async () => {
    const [n1, n2, n3, n4] = e2e.cluster.engines.map((e) => e.addr) as [
      string,
      string,
      string,
      string,
    ];
    mixed = await e2e.startManager([`${n1},${n2}`], { nodes: 2 });
    raised = await e2e.startManager([`${n3},${n4}`], { nodes: 2 });
  });

  test.serial(
    '20.10 beside 28.5: the cluster speaks 1.41; containers run and builds build on every node',
    async (t) => {
      t.is(
        (
          await today(mixed, [
            'version',
            '--format',
            '{{.Server.APIVersion}} {{.Server.MinAPIVersion}}',
          ])
        ).stdout,
        '1.41 1.24\n',
      );
      for (const node of ['node1', 'node2']) {
        const ran = await today(mixed, [
          'run',
          '--name',
          `ran-${node}`,
          '-e',
          `constraint:node==${node}`,
          'busybox',
          'echo',
          'ran',
        ]);
        t.is(ran.stdout, 'ran\n', ran.stderr);
        t.is(
          (await today(mixed, ['inspect', '-f', '{{.Node.Name}}', `ran-${node}`])).stdout,
          `${node}\n`,
        );
        const built = await today(mixed, [
          'build',
          '-q',
          '-t',
          `on-${node}`,
          '--build-arg',
          `constraint:node==${node}`,
          context,
        ]);
        t.is(built.code, 0, built.stderr);
        t.is(
          (await today(mixed, ['run', '--rm', `on-${node}`, 'cat', '/built'])).stdout,
          'built\n',
        );
        const legacy = await old(
          mixed,
          ['build', '-q', '--build-arg', `constraint:node==${node}`, context],
          { DOCKER_BUILDKIT: '0' },
        );
        t.is(legacy.code, 0, legacy.stderr);
      }
    },
  );

  test.serial(
    '20.10 beside 28.5: what 1.41 cannot say is refused in dockerd’s words, not passed on to fail obscurely',
    async (t) => {
      const image = await fetch(`${mixed.url}/v1.41/containers/create`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          Image: 'busybox',
          HostConfig: { Mounts: [{ Type: 'image', Source: 'busybox', Target: '/img' }] },
        }),
      });
      t.is(image.status, 400);
      t.is(
        ((await image.json()) as { message: string }).message,
        'Mount type "Image" needs API v1.48 or newer',
      );
      const tooNew = await fetch(`${mixed.url}/v1.51/version`);
      t.is(tooNew.status, 400);
      t.is(
        ((await tooNew.json()) as { message: string }).message,
        'client version 1.51 is too new. Maximum supported API version is 1.41',
      );
    },
  );

  test.serial(
    'engines that refuse versions below 1.44: /version says so, and the 20.10 CLI still lists and runs through Skep',
    async (t) => {
      t.is(
        (
          await today(raised, [
            'version',
            '--format',
            '{{.Server.APIVersion}} {{.Server.MinAPIVersion}}',
          ])
        ).stdout,
        '1.51 1.44\n',
      );
      const direct = await e2e.cluster.docker(e2e.cluster.engine('node3'), ['version']);
      t.is(direct.code, 0, 'the machine’s CLI 28 speaks to it directly');
      const refused = await old(raised, ['-H', `tcp://${e2e.cluster.engine('node3').addr}`, 'ps']);
      t.regex(
        refused.stderr,
        /client version 1\.41 is too old\. Minimum supported API version is 1\.44/,
        'directly, the 20.10 CLI is refused',
      );
      const ran = await old(raised, [
        'run',
        '--name',
        'old-cli',
        '-e',
        'constraint:node==node4',
        'busybox',
        'echo',
        'from 1.41',
      ]);
      t.is(ran.stdout, 'from 1.41\n', ran.stderr);
      t.regex(
        (await old(raised, ['ps', '-a', '--format', '{{.Names}}'])).stdout,
        /^node4\/old-cli$/m,
      );
      t.is((await old(raised, ['logs', 'old-cli'])).stdout, 'from 1.41\n');
      t.is((await old(raised, ['rm', 'old-cli'])).code, 0);
    },
  );

  test.serial(
    'a 1.41 volume prune keeps its meaning on an engine read at 1.44: named volumes unused go too',
    async (t) => {
      t.is((await old(raised, ['volume', 'create', 'old-named'])).code, 0);
      const pruned = await old(raised, ['volume', 'prune', '-f']);
      t.is(pruned.code, 0, pruned.stderr);
      t.regex(pruned.stdout, /old-named/);
      t.notRegex(
        (await today(raised, ['volume', 'ls', '--format', '{{.Name}}'])).stdout,
        /old-named/,
      );
      // today's client asks today's question: only anonymous volumes
      t.is((await today(raised, ['volume', 'create', 'new-named'])).code, 0);
      t.notRegex((await today(raised, ['volume', 'prune', '-f'])).stdout, /new-named/);
      t.regex((await today(raised, ['volume', 'ls', '--format', '{{.Name}}'])).stdout, /new-named/);
    },
  );
});
