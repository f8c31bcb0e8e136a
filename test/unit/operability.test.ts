import test from 'ava';
import { readFileSync } from 'node:fs';
import { parseNodeCommand } from '../../core/cli/node-command.js';
import { applyChange, ACTIVE, parseState } from '../../core/cluster/maintenance.js';
import { createLogger } from '../../core/log.js';
import type { SkepPlugin } from '../../core/plugin-api.js';
import { waitFor } from '../harness/exec.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager } from '../harness/in-process.js';
import { freePort } from '../harness/skep.js';

const fakes = async (t: { teardown(fn: () => unknown): void }, n: number) => {
  const list = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      FakeDocker.start({ name: `fake${i + 1}`, images: ['busybox'] }),
    ),
  );
  t.teardown(() => Promise.all(list.map((f) => f.stop())));
  return list;
};

/** A plugin with operator routes: one that answers, one that throws. */
const routed: SkepPlugin = {
  name: 'routed',
  apply(_hooks, { operator }) {
    operator.route({
      path: '/routed/hello',
      handle: (req) => ({ body: { hello: req.query.who ?? 'world' } }),
    });
    operator.route({
      path: '/routed/broken',
      handle: () => Promise.reject(new Error('the plugin broke')),
    });
  },
};

test.serial(
  'the operator listener: metrics in Prometheus text, health checks, the status snapshot, plugin routes (a throwing one contained)',
  async (t) => {
    const engines = await fakes(t, 2);
    const statusPort = await freePort();
    const skep = await inProcessManager(engines, {
      statusAddress: `127.0.0.1:${statusPort}`,
      plugins: [routed],
    });
    t.teardown(() => skep.stop());
    const get = (path: string) => fetch(`http://127.0.0.1:${statusPort}${path}`);
    await waitFor(
      'the first inventory',
      async () => ((await get('/readyz')).status === 200 ? true : undefined),
      5000,
    );
    t.is(
      (await skep.call('POST', '/containers/create?name=one', { Image: 'busybox' })).status,
      201,
    );
    t.is(
      (
        await skep.call('POST', '/containers/create', {
          Image: 'busybox',
          Env: ['constraint:node==nowhere'],
        })
      ).status,
      500,
    );

    const metrics = await (await get('/metrics')).text();
    t.regex(metrics, /^# TYPE skep_http_requests_total counter$/m);
    t.regex(metrics, /^skep_nodes\{state="healthy"\} 2$/m);
    t.regex(metrics, /^skep_http_requests_total\{route="container\.create",code="201"\} 1$/m);
    t.regex(metrics, /^skep_http_requests_total\{route="container\.create",code="500"\} 1$/m);
    t.regex(metrics, /^skep_placements_total\{kind="container",outcome="no_node"\} 1$/m);
    t.regex(metrics, /^skep_placement_rejections_total\{filter="constraint"\} 2$/m);
    t.regex(metrics, /^skep_containers\{node="fake\d",state="stopped"\} 1$/m);
    t.regex(metrics, /^skep_engine_request_duration_seconds_count \d+$/m);
    t.true(
      skep.logger.lines.some((l) =>
        l.startsWith('error POST /containers/create answered 500: Unable to find a node'),
      ),
      'the 5xx is logged with its cause',
    );
    t.is(skep.logger.lines.filter((l) => l.includes('answered 500')).length, 1, 'once');

    t.is(await (await get('/healthz')).text(), 'ok\n');
    const snapshot = (await (await get('/status.json')).json()) as {
      manager: { role: string };
      nodes: { name: string; health: string }[];
      failures: { message: string }[];
    };
    t.is(snapshot.manager.role, 'primary');
    t.deepEqual(snapshot.nodes.map((n) => [n.name, n.health]).sort(), [
      ['fake1', 'healthy'],
      ['fake2', 'healthy'],
    ]);
    t.regex(snapshot.failures[0]!.message, /constraint node==nowhere not met/);
    // one document: its style and script (core/operator/status-page/) written inline, nothing else to fetch
    const page = await (await get('/')).text();
    t.regex(page, /<title>Skep status<\/title>/);
    t.regex(page, /<style>\n:root \{[^]*<\/style>/);
    t.regex(page, /<script>\n[^]*new EventSource\('status\/stream'\)[^]*<\/script>/);
    t.notRegex(page, /<link |<script src=/);

    t.deepEqual(await (await get('/routed/hello?who=ops')).json(), { hello: 'ops' });
    const broken = await get('/routed/broken');
    t.is(broken.status, 500);
    t.deepEqual(await broken.json(), { message: 'plugin routed failed: the plugin broke' });
    t.is(
      skep.logger.lines.filter((l) => l.includes('operator route GET /routed/broken failed'))
        .length,
      1,
    );
    t.is((await get('/nothing')).status, 404);
    t.is((await fetch(`http://127.0.0.1:${statusPort}/metrics`, { method: 'POST' })).status, 405);

    for (const engine of engines) await engine.stop();
    await waitFor(
      'readyz to refuse',
      async () => ((await get('/readyz')).status === 503 ? true : undefined),
      10_000,
    );
    t.is(await (await get('/readyz')).text(), 'not ready: no healthy node (of 2)\n');
  },
);

test.serial('a plugin cannot take the listener’s own paths', async (t) => {
  const engines = await fakes(t, 1);
  const greedy: SkepPlugin = {
    name: 'greedy',
    apply: (_h, { operator }) => operator.route({ path: '/metrics', handle: () => ({ body: '' }) }),
  };
  const error = await t.throwsAsync(inProcessManager(engines, { plugins: [greedy] }));
  t.regex(
    error!.message,
    /plugin "greedy" failed to apply: operator route \/metrics: a path starting with \/ that is not one of/,
  );
});

test.serial('the status stream: a snapshot first, then only what changed', async (t) => {
  const engines = await fakes(t, 2);
  const statusPort = await freePort();
  const skep = await inProcessManager(engines, { statusAddress: `127.0.0.1:${statusPort}` });
  t.teardown(() => skep.stop());
  const controller = new AbortController();
  t.teardown(() => controller.abort());
  const res = await fetch(`http://127.0.0.1:${statusPort}/status/stream`, {
    signal: controller.signal,
  });
  t.is(res.headers.get('content-type'), 'text/event-stream');
  const reader = res.body!.getReader();
  let text = '';
  const until = async (pattern: RegExp) => {
    while (!pattern.test(text)) text += new TextDecoder().decode((await reader.read()).value);
  };
  await until(/event: snapshot\ndata: .*\n\n/);
  t.is(
    (await skep.call('POST', '/containers/create?name=streamed', { Image: 'busybox' })).status,
    201,
  );
  await until(/event: nodes\ndata: .*\n\n/);
  const nodes = JSON.parse(/event: nodes\ndata: (.*)\n/.exec(text)![1]!) as {
    changed: { name: string; stopped: number }[];
    removed: string[];
  };
  t.is(nodes.changed.length, 1, 'only the node that changed');
  t.is(nodes.changed[0]!.stopped, 1);
  await until(/event: events\ndata: .*create.*\n\n/);
});

test.serial(
  'maintenance through /skep/nodes: pause keeps creates off, the state is saved and read back by the next manager',
  async (t) => {
    const engines = await fakes(t, 2);
    const skep = await inProcessManager(engines);
    const stateFile = skep.manager.config.stateFile;
    const listed = await skep.call('GET', '/skep/nodes');
    t.deepEqual(
      listed.body.map((n: { Name: string; Availability: string; Status: string }) => [
        n.Name,
        n.Status,
        n.Availability,
      ]),
      [
        ['fake1', 'Healthy', 'active'],
        ['fake2', 'Healthy', 'active'],
      ],
    );
    const paused = await skep.call('POST', '/skep/nodes/fake1/update', {
      Availability: 'pause',
      LabelAdd: { rack: 'r1' },
    });
    t.is(paused.status, 200);
    t.like(paused.body, { Name: 'fake1', Availability: 'pause', Labels: { rack: 'r1' } });
    for (let i = 0; i < 3; i++)
      t.is(
        (await skep.call('POST', `/containers/create?name=p${i}`, { Image: 'busybox' })).status,
        201,
      );
    t.is(engines[0]!.containers.size, 0, 'nothing new on the paused node');
    const placed = await skep.call('POST', '/containers/create', {
      Image: 'busybox',
      Env: ['constraint:rack==r1'],
    });
    t.is(placed.status, 500);
    t.regex(placed.body.message, /\[fake1: the node's availability is pause\]/);
    const info = await skep.call('GET', '/info');
    const status = info.body.SystemStatus as [string, string][];
    const block = status.slice(status.findIndex(([k]) => k === ' fake1'));
    t.deepEqual(
      block.find(([k]) => k === '  └ Availability'),
      ['  └ Availability', 'Pause'],
    );
    t.regex(block.find(([k]) => k === '  └ Labels')![1], /rack=r1/);

    t.is(
      (await skep.call('POST', '/skep/nodes/fake1/update', { Availability: 'asleep' })).status,
      400,
    );
    t.is(
      (await skep.call('POST', '/skep/nodes/fake1/update', { Speed: 'fast' })).body.message,
      'unknown field Speed (known: Availability, LabelAdd, LabelRm)',
    );
    t.deepEqual(
      (await skep.call('POST', '/skep/nodes/nowhere/update', { Availability: 'pause' })).body,
      { message: 'node nowhere not found' },
    );
    t.deepEqual(JSON.parse(readFileSync(stateFile, 'utf8')), {
      [engines[0]!.addr]: { availability: 'pause', labels: { rack: 'r1' } },
    });
    await skep.stop();

    const next = await inProcessManager(engines, { stateFile });
    t.teardown(() => next.stop());
    t.like((await next.call('GET', '/skep/nodes/fake1')).body, {
      Availability: 'pause',
      Labels: { rack: 'r1' },
    });
    t.like(
      (
        await next.call('POST', `/skep/nodes/${engines[0]!.addr}/update`, {
          Availability: 'active',
          LabelRm: ['rack'],
        })
      ).body,
      { Availability: 'active', Labels: {} },
    );
    t.deepEqual(
      JSON.parse(readFileSync(stateFile, 'utf8')),
      {},
      'a node back to its defaults leaves the file',
    );
  },
);

test('maintenance values: changes checked in dockerd’s words; a stored state with bad entries keeps the good ones', (t) => {
  t.deepEqual(applyChange(ACTIVE, { availability: 'drain', labelAdd: { a: '1' } }), {
    availability: 'drain',
    labels: { a: '1' },
  });
  t.throws(() => applyChange(ACTIVE, { labelRm: ['a'] }), {
    message: "key a doesn't exist in node's labels",
  });
  t.throws(() => applyChange(ACTIVE, { availability: 'off' }), {
    message: 'invalid availability "off": it must be one of active, pause, drain',
  });
  t.deepEqual(
    parseState({
      good: { availability: 'pause', labels: { x: 'y', n: 1 } },
      bad: { availability: 'gone' },
    }),
    { good: { availability: 'pause', labels: { x: 'y' } } },
  );
  t.deepEqual(parseState('nonsense'), {});
});

test('swarm node: the command line as the docker CLI takes it', (t) => {
  const env = { DOCKER_HOST: 'tcp://127.0.0.1:4000' };
  t.like(parseNodeCommand(['ls'], env), { action: 'ls', host: 'tcp://127.0.0.1:4000' });
  t.like(
    parseNodeCommand(
      [
        'update',
        '--availability=drain',
        '--label-add',
        'a=b',
        '--label-add',
        'flag',
        '--label-rm',
        'c',
        'node1',
        '-H',
        'unix:///s.sock',
      ],
      env,
    ),
    {
      action: 'update',
      node: 'node1',
      host: 'unix:///s.sock',
      change: { Availability: 'drain', LabelAdd: { a: 'b', flag: '' }, LabelRm: ['c'] },
    },
  );
  t.is(parseNodeCommand([], {}).host, 'unix:///var/run/docker.sock');
  t.throws(() => parseNodeCommand(['update', 'node1'], env), {
    message: '"swarm node update" needs --availability, --label-add or --label-rm',
  });
  t.throws(() => parseNodeCommand(['update', '--availability', 'drain'], env), {
    message: /requires exactly 1 argument/,
  });
  t.throws(() => parseNodeCommand(['rm', 'x'], env), { message: /unknown command "rm"/ });
  t.throws(() => parseNodeCommand(['ls', '--bogus', 'x'], env), {
    message: /unknown flag: --bogus/,
  });
});

test('the logger: logrus text or JSON lines with fields; a field that cannot be written does not throw; the level can change', (t) => {
  const lines: string[] = [];
  const text = createLogger('info', (l) => lines.push(l));
  text.info('placed', { node: 'node1', route: 'container.create', why: 'two words' });
  t.regex(
    lines[0]!,
    /^time="[^"]+" level=info msg="placed" node=node1 route=container\.create why="two words"$/,
  );
  const json = createLogger('debug', (l) => lines.push(l), 'json');
  json.warn('slow', { node: 'n2', duration_ms: 12.5 });
  t.like(JSON.parse(lines[1]!), { level: 'warn', msg: 'slow', node: 'n2', duration_ms: 12.5 });
  t.notThrows(() => json.error('odd', { big: 10n as unknown as number }));
  t.regex(lines[2]!, /level=error msg="odd"/, 'written without its fields');
  json.configure({ level: 'error' });
  json.info('hidden');
  t.is(lines.length, 3);
  t.false(json.enabled('warn'));
});

test('readiness under replication needs a known primary; the role is a metric there', async (t) => {
  const { readiness } = await import('../../core/operator/readiness.js');
  const { ManagerMetrics } = await import('../../core/operator/metrics.js');
  const { Cluster } = await import('../../core/cluster/cluster.js');
  const { silentLogger } = await import('../../core/log.js');
  const engines = await fakes(t, 1);
  const cluster = new Cluster(
    {
      refreshMinMs: 200,
      refreshMaxMs: 300,
      failureRetry: 2,
      requestTimeoutMs: 2000,
      connectTimeoutMs: 500,
      logger: silentLogger,
    },
    silentLogger,
  );
  t.teardown(() => cluster.stop());
  const known: { primary?: string } = {};
  const role = {
    replicated: true,
    advertise: '127.0.0.1:1',
    isPrimary: () => false,
    primary: () => known.primary,
    noPrimaryReason: () => 'etcd cannot be reached',
    changed: async () => {},
    onChange: () => {},
  };
  t.deepEqual(readiness(cluster, role), { ready: false, reason: 'no nodes in the cluster' });
  cluster.setEntries([engines[0]!.addr]);
  await waitFor(
    'the node',
    async () => (cluster.healthy()[0]?.inventoryRead ? true : undefined),
    5000,
  );
  t.deepEqual(readiness(cluster, role), {
    ready: false,
    reason: 'no primary manager is known: etcd cannot be reached',
  });
  known.primary = '127.0.0.1:2';
  t.deepEqual(readiness(cluster, role), { ready: true });
  const metrics = new ManagerMetrics();
  metrics.watch(cluster, role);
  const text = await metrics.registry.metrics();
  t.regex(text, /^skep_manager_role\{role="primary"\} 0$/m);
  t.regex(text, /^skep_manager_role\{role="replica"\} 1$/m);
});

test.serial(
  "a plugin's own metrics and route (docs/examples/recent-creates.ts); SIGHUP's reload calls plugins that can reload, a throwing one is contained",
  async (t) => {
    const { default: recentCreates } = await import('../../docs/examples/recent-creates.js');
    const engines = await fakes(t, 1);
    const statusPort = await freePort();
    let reloads = 0;
    const reloading: SkepPlugin = { name: 'reloading', apply() {}, reload: () => void reloads++ };
    const failing: SkepPlugin = {
      name: 'failing-reload',
      apply() {},
      reload: () => Promise.reject(new Error('its file is gone')),
    };
    const skep = await inProcessManager(engines, {
      statusAddress: `127.0.0.1:${statusPort}`,
      plugins: [recentCreates(), reloading, failing],
    });
    t.teardown(() => skep.stop());
    t.is(
      (await skep.call('POST', '/containers/create?name=noted', { Image: 'busybox' })).status,
      201,
    );
    await waitFor(
      'the afterCreate tap',
      async () =>
        ((await (await fetch(`http://127.0.0.1:${statusPort}/recent-creates`)).json()) as unknown[])
          .length === 1 || undefined,
      5000,
    );
    t.deepEqual(await (await fetch(`http://127.0.0.1:${statusPort}/recent-creates`)).json(), [
      { name: 'noted', node: 'fake1' },
    ]);
    t.regex(
      await (await fetch(`http://127.0.0.1:${statusPort}/metrics`)).text(),
      /^recent_creates_total 1$/m,
    );

    await skep.manager.reload({ ...skep.manager.config, strategy: 'binpack' });
    t.is(reloads, 1);
    t.true(
      skep.logger.lines.includes(
        'error reload: plugin failing-reload could not reload, it goes on as it was: its file is gone',
      ),
    );
    t.true(
      skep.logger.lines.includes(
        'warn reload: strategy changed; that takes a restart, the running values stay',
      ),
    );
    t.is(skep.manager.config.strategy, 'spread');
  },
);
