import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withRealEngines } from '../harness/e2e.js';
import { run, waitFor } from '../harness/exec.js';
import { DOCKER_CLI_DEBIAN, MODERN, PYTHON } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

const PY7_CHECKS = fileURLToPath(
  new URL('../../../test/e2e/sdk/docker_py7_checks.py', import.meta.url),
);

/** A context folder with these files. */
function contextOf(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'skep-ctx-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const MULTI_STAGE = `FROM busybox AS base
RUN echo base > /base
FROM base AS tools
ARG TOOL=none
RUN echo $TOOL > /tool
FROM busybox
COPY --from=tools /base /tool /
ARG GREETING=hello
RUN echo $GREETING > /greeting
`;

/**
 * Today's Docker through Skep: three dockerd 28.5 engines, the docker CLI 28.5 with its buildx and compose plugins
 * (Debian unstable's, unpacked by .ci/modern-docker), the 20.10 CLI, and docker-py 7.2.
 */
withRealEngines((test) => {
  const e2e = useCluster(test, 'today', {
    size: 3,
    engines: ['28.5', '28.5', '28.5'],
    manager: true,
  });
  // the CLI's config folder, with the plugins every Docker install has
  const config = mkdtempSync(join(tmpdir(), 'skep-docker-config-'));
  mkdirSync(join(config, 'cli-plugins'));
  for (const plugin of ['docker-buildx', 'docker-compose'])
    symlinkSync(join(MODERN.cliPlugins, plugin), join(config, 'cli-plugins', plugin));
  const docker = (
    args: string[],
    options: { env?: Record<string, string>; timeoutMs?: number; cli?: string } = {},
  ) =>
    e2e.skep.docker(args, {
      cli: options.cli ?? MODERN.cli,
      env: { DOCKER_CONFIG: config, ...options.env },
      timeoutMs: options.timeoutMs ?? 120_000,
    });
  const where = async (ref: string) => {
    const found: string[] = [];
    for (const engine of e2e.cluster.engines)
      if ((await e2e.cluster.docker(engine, ['image', 'inspect', ref])).code === 0)
        found.push(engine.name);
    return found;
  };

  test.serial(
    'Skep speaks its engines’ API version and answers /_ping as an engine of today does',
    async (t) => {
      const version = await docker([
        'version',
        '--format',
        '{{.Client.APIVersion}} {{.Server.APIVersion}} {{.Server.MinAPIVersion}}',
      ]);
      t.is(version.stdout.trim(), '1.51 1.51 1.24');
      const ping = await fetch(`${e2e.skep.url}/_ping`, { method: 'HEAD' });
      t.is(ping.headers.get('builder-version'), '2');
      t.is(ping.headers.get('swarm'), 'inactive');
      t.is(ping.headers.get('api-version'), '1.51');
    },
  );

  test.serial(
    'buildx sees the docker driver running; builds take build args and targets, land where constraint: says, and are found at once',
    async (t) => {
      const ls = await docker(['buildx', 'ls']);
      t.regex(ls.stdout, /^default\*?\s+docker\s*$/m, ls.stdout + ls.stderr);
      t.regex(ls.stdout, /\\_ default\s+running/);
      t.regex((await docker(['buildx', 'inspect'])).stdout, /Driver:\s+docker/);
      const ctx = contextOf({ Dockerfile: MULTI_STAGE });
      const built = await docker([
        'build',
        '--progress',
        'plain',
        '-t',
        'today:args',
        '--build-arg',
        'GREETING=bonjour',
        '--build-arg',
        'TOOL=hammer',
        ctx,
      ]);
      t.is(built.code, 0, built.stderr);
      t.regex(built.stderr, /naming to docker\.io\/library\/today:args/);
      t.is(
        (await docker(['run', '--rm', 'today:args', 'cat', '/greeting', '/tool', '/base'])).stdout,
        'bonjour\nhammer\nbase\n',
      );
      t.regex(
        (await docker(['images', '--format', '{{.Repository}}:{{.Tag}}'])).stdout,
        /^today:args$/m,
        'listed at once',
      );
      const target = await docker([
        'build',
        '-q',
        '--target',
        'tools',
        '-t',
        'today:tools',
        '--build-arg',
        'constraint:node==node3',
        ctx,
      ]);
      t.is(target.code, 0, target.stderr);
      t.regex(target.stdout, /^sha256:[0-9a-f]{64}\n$/, '-q prints the ID only');
      t.deepEqual(
        await where('today:tools'),
        ['node3'],
        'constraint: among the build args places the build',
      );
      t.is(
        (
          await docker([
            'run',
            '--rm',
            '-e',
            'affinity:image==today:tools',
            'today:tools',
            'cat',
            '/tool',
          ])
        ).stdout,
        'none\n',
      );
      const nowhere = await docker(['build', '-q', '--build-arg', 'constraint:node==node9', ctx]);
      t.not(nowhere.code, 0);
      t.regex(nowhere.stderr, /Unable to find a node that satisfies the following conditions/);
    },
  );

  test.serial('two clients building at once each get their own build', async (t) => {
    const contexts = ['one', 'two', 'three'].map((word) => ({
      word,
      dir: contextOf({
        Dockerfile: `FROM busybox\nCOPY word /word\nRUN sleep 1\n`,
        word: `${word}\n`,
      }),
    }));
    const builds = await Promise.all(
      contexts.map(({ word, dir }) => docker(['build', '-q', '-t', `parallel:${word}`, dir])),
    );
    for (const b of builds) t.is(b.code, 0, b.stderr);
    for (const { word } of contexts)
      t.is((await docker(['run', '--rm', `parallel:${word}`, 'cat', '/word'])).stdout, `${word}\n`);
  });

  test.serial(
    'the 20.10 CLI builds with BuildKit (its session and /build?version=2 reach one engine), and with the legacy builder',
    async (t) => {
      const ctx = contextOf({ Dockerfile: MULTI_STAGE });
      const kit = await docker(['build', '-t', 'old:kit', '--build-arg', 'GREETING=kit', ctx], {
        cli: DOCKER_CLI_DEBIAN,
        env: { DOCKER_BUILDKIT: '1' },
      });
      t.is(kit.code, 0, kit.stderr);
      t.regex(kit.stderr, /#\d+ naming to docker\.io\/library\/old:kit/);
      t.is((await docker(['run', '--rm', 'old:kit', 'cat', '/greeting'])).stdout, 'kit\n');
      const legacy = await docker(['build', '-t', 'old:legacy', ctx], {
        cli: DOCKER_CLI_DEBIAN,
        env: { DOCKER_BUILDKIT: '0' },
      });
      t.is(legacy.code, 0, legacy.stderr);
      t.regex(legacy.stdout, /Successfully tagged old:legacy/);
    },
  );

  test.serial('a build cancelled by its client (Ctrl-C) stops on its engine', async (t) => {
    const marker = String(3000 + Math.floor(Math.random() * 1000));
    const ctx = contextOf({ Dockerfile: `FROM busybox\nRUN sleep ${marker}\n` });
    const child = spawn(MODERN.cli, ['build', '--progress', 'plain', ctx], {
      env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost, DOCKER_CONFIG: config },
      stdio: 'ignore',
    });
    const sleeping = () => run('pgrep', ['-f', `^sleep ${marker}$`]).then((r) => r.stdout.trim());
    await waitFor(
      'the build to run its step',
      async () => ((await sleeping()) ? true : undefined),
      60_000,
    );
    child.kill('SIGINT');
    await waitFor(
      'the step to stop on its engine',
      async () => ((await sleeping()) === '' ? true : undefined),
      30_000,
    );
    t.pass();
  });

  test.serial(
    'build cache across nodes: buildx du lists it, builder prune clears it',
    async (t) => {
      const du = await docker(['buildx', 'du']);
      t.is(du.code, 0, du.stderr);
      t.regex(du.stdout, /Total:/);
      const prune = await docker(['builder', 'prune', '-af']);
      t.is(prune.code, 0, prune.stderr);
      t.regex(prune.stdout, /Total:/);
    },
  );

  test.serial('docker run --mount type=image (API 1.48) mounts an image’s files', async (t) => {
    const res = await docker([
      'run',
      '--rm',
      '--mount',
      'type=image,source=today:args,target=/img',
      'busybox',
      'cat',
      '/img/greeting',
    ]);
    t.is(res.code, 0, res.stderr);
    t.is(res.stdout, 'bonjour\n');
  });

  test.serial(
    'compose v2: up --build with a healthy dependency, networks, volumes and replicas; ps, logs, exec, run, scale, restart, stop; down -v leaves nothing',
    async (t) => {
      const dir = contextOf({
        'web/Dockerfile':
          'FROM busybox\nRUN echo built > /built\nCMD ["sh", "-c", "echo web up; cat /built; httpd -f -p 80"]\n',
        'compose.yaml': `name: cv2
services:
  db:
    image: busybox
    command: ["sh", "-c", "echo db > /data/db; sleep 3600"]
    healthcheck: {test: ["CMD", "test", "-f", "/data/db"], interval: 1s, retries: 30}
    volumes: ["data:/data"]
    networks: [back]
    stop_grace_period: 1s
  web:
    build: ./web
    depends_on: {db: {condition: service_healthy}}
    networks: [front, back]
    deploy: {replicas: 2}
    stop_grace_period: 1s
networks: {front: {}, back: {}}
volumes: {data: {}}
`,
      });
      const compose = (...args: string[]) =>
        docker(['compose', '--project-directory', dir, ...args]);
      const up = await compose('up', '-d', '--build');
      t.is(up.code, 0, up.stderr);
      t.regex(up.stderr, /Container cv2-db-1\s+Healthy/);
      const ps = await compose('ps', '--format', '{{.Name}} {{.State}}');
      t.deepEqual(ps.stdout.trim().split('\n').sort(), [
        'cv2-db-1 running',
        'cv2-web-1 running',
        'cv2-web-2 running',
      ]);
      await waitFor(
        'the web logs',
        async () =>
          /web-1\s+\| built/.test((await compose('logs', 'web')).stdout) ? true : undefined,
        20_000,
      );
      t.is((await compose('exec', '-T', 'db', 'cat', '/data/db')).stdout, 'db\n');
      t.is(
        (await compose('run', '--rm', '-T', 'db', 'cat', '/data/db')).stdout,
        'db\n',
        'run sees the named volume',
      );
      t.is((await compose('up', '-d', '--scale', 'web=3')).code, 0);
      t.is((await compose('ps', '-q', 'web')).stdout.trim().split('\n').length, 3);
      t.is((await compose('restart', 'web')).code, 0);
      t.is((await compose('stop')).code, 0);
      const down = await compose('down', '-v');
      t.is(down.code, 0, down.stderr);
      t.notRegex(down.stderr, /No resource found to remove/);
      for (const engine of e2e.cluster.engines) {
        for (const kind of ['ps -a', 'network ls', 'volume ls']) {
          const listed = await e2e.cluster.docker(engine, [
            ...kind.split(' '),
            '--format',
            '{{.Names}}{{.Name}}',
          ]);
          t.notRegex(listed.stdout, /cv2/, `${engine.name}: ${kind} is empty of the project`);
        }
      }
      t.regex(
        (await docker(['network', 'ls', '--format', '{{.Name}}'])).stdout,
        /^node1\/bridge$/m,
        "classic's view for everyone else",
      );
    },
  );

  test.serial(
    'docker-py 7.2, as an application uses it: containers, logs, exec, attach, events, build, images, networks, volumes',
    async (t) => {
      const res = await run(PYTHON, [PY7_CHECKS], {
        env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost, PYTHONPATH: MODERN.pythonPath },
        timeoutMs: 180_000,
      });
      t.is(res.code, 0, res.stderr);
      const found = JSON.parse(res.stdout) as Record<string, unknown>;
      t.is(found.docker_py, '7.2.0');
      t.is(found.api_version, '1.51');
      t.is(found.logs, 'hello-seven\n');
      t.deepEqual(found.exec, [0, 'exec-seven\n']);
      t.is(
        found.attach_logs,
        'hello-seven\n',
        'attach with logs=1&stream=0 returns the output so far',
      );
      t.deepEqual(found.listed, ['py7']);
      t.deepEqual(
        (found.events as string[]).filter((a) => ['create', 'start', 'die', 'destroy'].includes(a)),
        ['create', 'start', 'die', 'destroy'],
      );
      t.deepEqual(found.built_tags, ['py7built:1']);
      t.is(found.built_runs, 'built-seven\n');
      t.true(
        (found.tags_by_id as string[]).includes('py7tag:one'),
        'an image by ID lists every tag',
      );
      t.is(found.saved_images, 1);
      t.true(found.network_found);
      t.deepEqual(
        found.network_listed,
        [`${JSON.stringify(found.network_listed).match(/node\d/)?.[0]}/py7net`],
        "classic's node/name in lists",
      );
      t.true(
        found.volume_same_after_create,
        'a volume inspected right after create is what create answered',
      );
      t.is(found.volume_data, 'written\n', 'the second container sees what the first wrote');
      t.true(found.pruned_anonymous);
      t.true(found.named_kept);
    },
  );

  test.serial(
    'an image a build made is on the node that built it, and a container of it goes there',
    async (t) => {
      const [node, ...others] = await where('today:args');
      t.deepEqual(others, []);
      const id = (await docker(['create', 'today:args'])).stdout.trim();
      t.is(
        (await docker(['inspect', '-f', '{{.Node.Name}}', id])).stdout.trim(),
        node ?? 'no node',
      );
    },
  );
});
