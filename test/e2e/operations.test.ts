import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withRealEngines } from '../harness/e2e.js';
import { run, waitFor } from '../harness/exec.js';
import { freePort, SkepProcess, SWARM_BIN } from '../harness/skep.js';
import { DOCKER_CLI } from '../harness/support.js';
import { useCluster } from '../harness/use-cluster.js';

/** Operating a manager over real engines: metrics, health checks, JSON logs, node maintenance, reload and stop. */
withRealEngines((test) => {
  let statusPort: number;
  let dir: string;
  let config: string;
  const e2e = useCluster(test, 'operations', () => {
    dir = mkdtempSync(join(tmpdir(), 'skep-ops-'));
    config = join(dir, 'swarm.config.mjs');
    return { size: 3, manager: (cluster) => start(cluster.engines.map((e) => e.addr)) };
  });
  const stateFile = () => join(dir, 'skep-nodes.json');
  const metrics = async () => (await fetch(`http://127.0.0.1:${statusPort}/metrics`)).text();
  const swarmNode = (args: string[]) =>
    run(process.execPath, [SWARM_BIN, 'node', ...args], {
      env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost },
      timeoutMs: 30_000,
    });
  /**
   * The config as a module: JSON settings, and a plugin that says when it is reloaded (functions do not go
   * through JSON). The log level is the file's, so that a reload can change it.
   */
  const writeConfig = (settings: Record<string, unknown>) =>
    writeFileSync(
      config,
      `const reloading = { name: 'reloading', apply(_hooks, { logger }) { this.logger = logger; }, reload() { this.logger.info('reloaded its own settings'); } };\n` +
        `export default { ...${JSON.stringify(settings)}, plugins: [reloading] };\n`,
    );
  const start = async (nodes: string[], extra: string[] = []) => {
    writeConfig({
      nodes,
      logLevel: 'debug',
      engine: { refreshMinInterval: '1s', refreshMaxInterval: '2s', failureRetry: 2 },
    });
    statusPort = await freePort();
    return SkepProcess.start(
      [
        '--config',
        config,
        '--status-addr',
        `127.0.0.1:${statusPort}`,
        '--state-file',
        stateFile(),
        ...extra,
      ],
      {
        nodes: nodes.length,
        global: ['--log-format', 'json'],
      },
    );
  };

  test.serial(
    'a Prometheus scrape shows the nodes, the containers per node and state, requests by route, placements and rejections',
    async (t) => {
      t.is(
        (await e2e.skep.docker(['run', '-d', '--name', 'metered', 'busybox', 'sleep', '300'])).code,
        0,
      );
      const refused = await e2e.skep.docker([
        'run',
        '-d',
        '-e',
        'constraint:node==nowhere',
        'busybox',
        'true',
      ]);
      t.not(refused.code, 0);
      t.is(
        (await e2e.skep.docker(['run', '--rm', 'busybox', 'echo', 'attached'])).stdout,
        'attached\n',
      );
      const node = (
        await e2e.skep.docker(['inspect', '-f', '{{.Node.Name}}', 'metered'])
      ).stdout.trim();
      const res = await fetch(`http://127.0.0.1:${statusPort}/metrics`);
      t.regex(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      const text = await res.text();
      t.regex(text, /^skep_nodes\{state="healthy"\} 3$/m);
      t.regex(text, new RegExp(`^skep_containers\\{node="${node}",state="running"\\} 1$`, 'm'));
      t.regex(text, /^skep_http_requests_total\{route="container\.create",code="201"\} \d+$/m);
      t.regex(
        text,
        /^skep_http_requests_total\{route="container\.attach",code="101"\} 1$/m,
        'a hijacked attach counts as the 101 the engine answered',
      );
      t.regex(
        text,
        /^skep_http_request_duration_seconds_bucket\{le="0\.005",route="container\.inspect"\} \d+$/m,
      );
      t.regex(text, /^skep_placements_total\{kind="container",outcome="chosen"\} \d+$/m);
      t.regex(text, /^skep_placements_total\{kind="container",outcome="no_node"\} 1$/m);
      t.regex(text, /^skep_placement_rejections_total\{filter="constraint"\} 3$/m);
      t.regex(text, /^skep_engine_requests_total\{node="node\d",outcome="ok"\} \d+$/m);
      t.regex(text, /^skep_node_cpus\{node="node1"\} \d+$/m);
      t.regex(text, /^skep_node_reserved_memory_bytes\{node="node1"\} \d+$/m);
      t.regex(text, /^skep_events_total \d+$/m);
      t.regex(text, /^process_resident_memory_bytes \d+$/m, 'the process metrics');
      t.false(/[0-9a-f]{64}/.test(text), 'no container ID in any label');
      t.false(/^skep_manager_role/m.test(text), 'no role without replication');
    },
  );

  test.serial(
    'health checks: /healthz and /readyz answer; the Docker API port does not serve them',
    async (t) => {
      const healthz = await fetch(`http://127.0.0.1:${statusPort}/healthz`);
      t.is(healthz.status, 200);
      const readyz = await fetch(`http://127.0.0.1:${statusPort}/readyz`);
      t.is(readyz.status, 200);
      t.is((await readyz.text()).trim(), 'ready');
      const onApi = await fetch(`${e2e.skep.url}/metrics`);
      t.is(onApi.status, 404);
      t.deepEqual(await onApi.json(), { message: 'page not found' });
    },
  );

  test.serial(
    'JSON logs: one object per line with time, level and msg; a request line at debug carries no header value',
    async (t) => {
      const secret = Buffer.from(
        JSON.stringify({ username: 'u', password: 'pa55-secret' }),
      ).toString('base64');
      await fetch(`${e2e.skep.url}/v1.41/images/json`, {
        headers: { 'X-Registry-Auth': secret, Authorization: 'Basic c2VjcmV0' },
      });
      await waitFor(
        'the request line',
        async () => (e2e.skep.logs.join('').includes('"route":"image.list"') ? true : undefined),
        5000,
      );
      const lines = e2e.skep.logs.join('').split('\n').filter(Boolean);
      for (const line of lines) {
        const entry = JSON.parse(line) as Record<string, unknown>;
        t.is(typeof entry.time, 'string');
        t.true(['debug', 'info', 'warn', 'error'].includes(entry.level as string));
        t.is(typeof entry.msg, 'string');
      }
      const request = lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((e) => e.route === 'image.list')!;
      t.like(request, { level: 'debug', method: 'GET', status: 200 });
      t.regex(String(request.request_id), /^[0-9a-z]+-[0-9a-z]+$/);
      t.is(typeof request.duration_ms, 'number');
      t.false(
        e2e.skep.logs.join('').includes(secret) ||
          e2e.skep.logs.join('').includes('c2VjcmV0') ||
          e2e.skep.logs.join('').includes('pa55'),
        'no credential in the log',
      );
    },
  );

  test.serial(
    'maintenance: pause takes no new containers, drain moves a reschedulable container off, labels feed constraints and docker info',
    async (t) => {
      const [node1, node2, node3] = e2e.cluster.engines as [
        (typeof e2e.cluster.engines)[0],
        (typeof e2e.cluster.engines)[0],
        (typeof e2e.cluster.engines)[0],
      ];
      t.is(
        (await swarmNode(['update', '--availability', 'pause', node2.name])).stdout,
        `${node2.name}\n`,
      );
      const ls = await swarmNode(['ls']);
      t.is(ls.code, 0, ls.stderr);
      t.regex(ls.stdout, /^ID +NAME +ADDRESS +STATUS +AVAILABILITY +CONTAINERS +LABELS$/m);
      t.regex(
        ls.stdout,
        new RegExp(
          `^\\S+ +${node2.name} +${node2.addr.replace(/\./g, '\\.')} +Healthy +Pause +\\d+$`,
          'm',
        ),
      );

      for (let i = 0; i < 4; i++)
        t.is(
          (await e2e.skep.docker(['run', '-d', '--name', `paused${i}`, 'busybox', 'sleep', '300']))
            .code,
          0,
        );
      const nodes = await Promise.all(
        [0, 1, 2, 3].map(async (i) =>
          (await e2e.skep.docker(['inspect', '-f', '{{.Node.Name}}', `paused${i}`])).stdout.trim(),
        ),
      );
      t.false(nodes.includes(node2.name), `none on the paused node: ${nodes.join(' ')}`);

      t.is((await swarmNode(['update', '--label-add', 'tier=gold', node3.name])).code, 0);
      t.is(
        (
          await e2e.skep.docker([
            'run',
            '-d',
            '--name',
            'golden',
            '-e',
            'constraint:tier==gold',
            'busybox',
            'sleep',
            '300',
          ])
        ).code,
        0,
      );
      t.is(
        (await e2e.skep.docker(['inspect', '-f', '{{.Node.Name}}', 'golden'])).stdout.trim(),
        node3.name,
      );

      t.is(
        (
          await e2e.skep.docker([
            'run',
            '-d',
            '--name',
            'mover',
            '-e',
            'reschedule:on-node-failure',
            '-e',
            'constraint:node!=' + node2.name,
            'busybox',
            'sleep',
            '300',
          ])
        ).code,
        0,
      );
      const from = (
        await e2e.skep.docker(['inspect', '-f', '{{.Node.Name}}', 'mover'])
      ).stdout.trim();
      const stays = (
        await e2e.skep.docker([
          'run',
          '-d',
          '--name',
          'stays',
          '-e',
          `constraint:node==${from}`,
          'busybox',
          'sleep',
          '300',
        ])
      ).code;
      t.is(stays, 0);
      t.is((await swarmNode(['update', '--availability', 'drain', from])).code, 0);
      const to = await waitFor(
        'mover to leave the drained node',
        async () => {
          const now = (
            await e2e.skep.docker(['inspect', '-f', '{{.Node.Name}} {{.State.Running}}', 'mover'])
          ).stdout.trim();
          return now.startsWith(from) || !now.endsWith('true') ? undefined : now.split(' ')[0];
        },
        30_000,
      );
      t.not(to, node2.name, 'not onto the paused node');
      const drained = e2e.cluster.engine(from);
      const names = async () =>
        (await e2e.cluster.docker(drained, ['ps', '-a', '--format', '{{.Names}}'])).stdout
          .split('\n')
          .filter(Boolean);
      // the copy runs first; the original, renamed aside meanwhile, is removed just after
      const left = await waitFor(
        `the original to be removed from ${from}`,
        async () => ((await names()).some((n) => n.startsWith('mover')) ? undefined : names()),
        10_000,
      );
      t.true(left.includes('stays'), 'a container without the policy stays');

      const info = (await e2e.skep.docker(['info'])).stdout;
      t.regex(
        info,
        new RegExp(
          `  ${node2.name}: ${node2.addr}\\n(?:   └ .*\\n)*?   └ ServerVersion: .*\\n   └ Availability: Pause`,
        ),
      );
      t.regex(info, new RegExp(`  ${from}: .*\\n(?:   └ .*\\n)*?   └ Availability: Drain`));
      t.regex(info, new RegExp(`  ${node3.name}: .*\\n(?:   └ .*\\n)*?   └ Labels: .*tier=gold`));
      const rm = await swarmNode(['update', '--label-rm', 'nope', node1.name]);
      t.is(rm.code, 1);
      t.is(rm.stderr, "Error response from daemon: key nope doesn't exist in node's labels\n");
      const bad = await swarmNode(['update', '--availability', 'sleepy', node1.name]);
      t.is(
        bad.stderr,
        'Error response from daemon: invalid availability "sleepy": it must be one of active, pause, drain\n',
      );
      t.is(
        (await swarmNode(['update', '--availability', 'active', 'nosuchnode'])).stderr,
        'Error response from daemon: node nosuchnode not found\n',
      );
      t.regex(await metrics(), /^skep_reschedules_total\{outcome="moved"\} 1$/m);
      t.regex(await metrics(), /^skep_nodes_by_availability\{availability="pause"\} 1$/m);
    },
  );

  test.serial('maintenance survives a restart: the state file is read back', async (t) => {
    const saved = JSON.parse(readFileSync(stateFile(), 'utf8')) as Record<
      string,
      { availability: string; labels: Record<string, string> }
    >;
    t.is(saved[e2e.cluster.engines[1]!.addr]?.availability, 'pause');
    await e2e.skep.stop();
    e2e.skep = await start(e2e.cluster.engines.map((e) => e.addr));
    const ls = (await swarmNode(['ls'])).stdout;
    t.regex(ls, new RegExp(`${e2e.cluster.engines[1]!.name} +\\S+ +Healthy +Pause`));
    t.regex(ls, /tier=gold/);
    for (const engine of e2e.cluster.engines)
      t.is((await swarmNode(['update', '--availability', 'active', engine.name])).code, 0);
  });

  test.serial(
    "the docker CLI's own docker node ls, inspect and update, while docker info still says swarm mode is inactive",
    async (t) => {
      const node1 = e2e.cluster.engines[0]!;
      const ls = await e2e.skep.docker(['node', 'ls']);
      t.is(ls.code, 0, ls.stderr);
      t.regex(ls.stdout, /^ID +HOSTNAME +STATUS +AVAILABILITY +MANAGER STATUS +ENGINE VERSION$/m);
      t.regex(ls.stdout, new RegExp(`^\\S+ +${node1.name} +Ready +Active +20\\.10\\.\\S+$`, 'm'));
      t.is(
        (
          await e2e.skep.docker([
            'node',
            'update',
            '--availability',
            'pause',
            '--label-add',
            'disk=ssd',
            node1.name,
          ])
        ).stdout,
        `${node1.name}\n`,
      );
      t.is(
        (
          await e2e.skep.docker([
            'node',
            'inspect',
            '-f',
            '{{.Spec.Availability}} {{.Spec.Labels.disk}} {{.Status.State}}',
            node1.name,
          ])
        ).stdout,
        'pause ssd ready\n',
      );
      t.regex(
        (await swarmNode(['ls'])).stdout,
        new RegExp(`${node1.name} +\\S+ +Healthy +Pause +\\d+ +disk=ssd`),
        'the same state as swarm node sees',
      );
      t.is(
        (
          await e2e.skep.docker([
            'node',
            'update',
            '--availability',
            'active',
            '--label-rm',
            'disk',
            node1.name,
          ])
        ).code,
        0,
      );
      t.is(
        (
          await e2e.skep.docker([
            'node',
            'inspect',
            '-f',
            '{{.Spec.Availability}} {{len .Spec.Labels}}',
            node1.name,
          ])
        ).stdout,
        'active 0\n',
      );
      const rm = await e2e.skep.docker(['node', 'rm', node1.name]);
      t.regex(rm.stderr, /This node is not a swarm manager/);
      t.regex((await e2e.skep.docker(['info'])).stdout, /^ Swarm: inactive$/m);
    },
  );

  test.serial(
    'SIGHUP re-reads the config: a node taken out leaves, the log level changes, a plugin reloads; a config with a mistake is refused and the running one kept',
    async (t) => {
      const [node1, node2] = e2e.cluster.engines;
      writeConfig({ nodes: [node1!.addr, node2!.addr], logLevel: 'info', shutdownTimeout: '3s' });
      e2e.skep.child.kill('SIGHUP');
      await waitFor(
        'two nodes',
        async () =>
          /^ Nodes: 2$/m.test((await e2e.skep.docker(['info'])).stdout) ? true : undefined,
        15_000,
      );
      t.regex(
        e2e.skep.logs.join(''),
        /"msg":"plugin reloading: reloaded its own settings","plugin":"reloading"/,
      );
      t.regex(
        e2e.skep.logs.join(''),
        /"msg":"reload: engine changed; that takes a restart, the running values stay"/,
      );
      const before = e2e.skep.logs.join('').length;
      await fetch(`${e2e.skep.url}/v1.41/version`);
      await fetch(`${e2e.skep.url}/v1.41/nonsense`);
      await new Promise((r) => setTimeout(r, 300));
      t.false(
        e2e.skep.logs.join('').slice(before).includes('"level":"debug"'),
        'no debug line at info: no request log',
      );
      writeFileSync(config, 'export default { nodes: 5 };\n');
      e2e.skep.child.kill('SIGHUP');
      await waitFor(
        'the refusal',
        async () =>
          e2e.skep.logs.join('').includes('configuration not reloaded, the running one is kept')
            ? true
            : undefined,
        10_000,
      );
      t.regex(
        e2e.skep.logs.join(''),
        /SIGHUP: configuration not reloaded, the running one is kept: .*"nodes\\" must be a list of addresses/,
      );
      t.regex((await e2e.skep.docker(['info'])).stdout, /^ Nodes: 2$/m);
      t.is((await fetch(`http://127.0.0.1:${statusPort}/readyz`)).status, 200);
    },
  );

  test.serial(
    'SIGTERM: a running docker run ends within the grace period (3s since the reload), new connections are refused, a stream still open after it is closed',
    async (t) => {
      const events = run(DOCKER_CLI, ['events'], {
        env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost },
        timeoutMs: 30_000,
      });
      const attached = e2e.skep.docker([
        'run',
        '--name',
        'graceful',
        'busybox',
        'sh',
        '-c',
        'sleep 1; echo finished',
      ]);
      await waitFor(
        'graceful to run',
        async () =>
          (
            await e2e.skep.docker(['inspect', '-f', '{{.State.Running}}', 'graceful'])
          ).stdout.trim() === 'true'
            ? true
            : undefined,
        20_000,
      );
      const exited = new Promise<number | null>((resolve) =>
        e2e.skep.child.once('exit', (code) => resolve(code)),
      );
      const stopped = Date.now();
      e2e.skep.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 300));
      const refused = await e2e.skep.docker(['version']);
      t.not(refused.code, 0, 'no new connection after SIGTERM');
      const result = await attached;
      t.is(result.stdout, 'finished\n');
      t.is(result.code, 0);
      const stream = await events;
      const closedAfter = Date.now() - stopped;
      t.true(
        closedAfter >= 2500 && closedAfter < 8000,
        `the events stream closed ${closedAfter} ms after SIGTERM`,
      );
      t.regex(stream.stdout, /container start/, 'it streamed until then');
      t.is(await exited, 0);
      t.regex(e2e.skep.logs.join(''), /SIGTERM: stopping; running requests have 3s to end/);
      t.regex(
        e2e.skep.logs.join(''),
        /1 request still running after 3s \(streams, hijacked sessions\): closing them/,
      );
    },
  );
});
