import test from 'ava';
import { replyBeforeRoute } from '../../core/api/request-stage.js';
import { createHooks } from '../../core/hooks.js';
import type {
  ContainerConfig,
  NodeView,
  PullResult,
  RequestContext,
  ResponseContext,
  RouteId,
  ScheduleContext,
} from '../../core/plugin-api.js';
import { applyPlugins } from '../../core/plugins.js';
import { withNode, nodeOf } from '../../core/api/row-node.js';
import { coresFor, cpuCores, sharesFor } from '../../plugins/behaviours/cpu-cores.js';
import { repositoryOf } from '../../plugins/behaviours/hide-swarm-containers.js';
import { rewriteBindings, rewriteListed } from '../../plugins/behaviours/host-ip.js';
import { takeNodeFilter } from '../../plugins/behaviours/image-node-filter.js';
import { authFromConfig, registryOf } from '../../plugins/behaviours/registry-auth.js';
import { BEHAVIOURS } from '../../plugins/index.js';
import { fakeNode, requestFixture, scheduleContext } from '../harness/node-fixture.js';

const node = fakeNode;
const request = (
  route: RouteId,
  query: Record<string, string> = {},
  headers: Record<string, string> = {},
): RequestContext => requestFixture({ route, query, headers });
const response = (req: RequestContext, n?: NodeView): ResponseContext => ({
  ...req,
  status: 200,
  node: n,
  nodeOf,
});
const withBuiltins = () => {
  const hooks = createHooks();
  applyPlugins(
    hooks,
    Object.values(BEHAVIOURS).map((make) => make()),
  );
  return hooks;
};

test('host-ip: 0.0.0.0, :: and empty become the node IP, and the duplicate rows Docker makes for :: collapse', (t) => {
  const n = node('node1');
  t.deepEqual(
    rewriteBindings(
      {
        '80/tcp': [
          { HostIp: '0.0.0.0', HostPort: '8080' },
          { HostIp: '::', HostPort: '8080' },
        ],
        '53/udp': null,
        '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '81' }],
      },
      n,
    ),
    {
      '80/tcp': [{ HostIp: '10.0.0.1', HostPort: '8080' }],
      '53/udp': null,
      '81/tcp': [{ HostIp: '127.0.0.1', HostPort: '81' }],
    },
  );
  t.deepEqual(
    rewriteListed(
      [
        { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
        { PrivatePort: 443, Type: 'tcp' },
      ],
      n,
    ),
    [
      { IP: '10.0.0.1', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
      { PrivatePort: 443, Type: 'tcp' },
    ],
  );
});

test('container.list: names prefixed with the node, ports rewritten, swarm containers hidden unless all', async (t) => {
  const hooks = withBuiltins();
  // each row through the per-row taps (as the manager makes rows), then the list through the per-request ones
  const made = ([row, n]: [Record<string, unknown>, NodeView]) =>
    withNode(hooks.rewriteContainerRow.call(row, { node: n }), n);
  const rows = () =>
    (
      [
        [
          {
            Names: ['/web'],
            Image: 'busybox',
            Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
          },
          node('node1'),
        ],
        [
          { Names: ['/manager'], Image: 'swarm:1.2.9', Ports: [] },
          node('node2', { ip: '10.0.0.2' }),
        ],
        [
          { Names: ['/other'], Image: 'docker/swarm', Ports: [] },
          node('node2', { ip: '10.0.0.2' }),
        ],
      ] as [Record<string, unknown>, NodeView][]
    ).map(made);
  const list = hooks.rewriteResponse.get('container.list')!;
  const plain = (await list.promise(rows(), response(request('container.list')))) as {
    Names: string[];
    Ports: { IP?: string }[];
  }[];
  t.deepEqual(
    plain.map((r) => r.Names[0]),
    ['/node1/web', '/node2/other'],
  );
  t.is(plain[0]!.Ports[0]!.IP, '10.0.0.1');
  const all = (await list.promise(rows(), response(request('container.list', { all: '1' })))) as {
    Names: string[];
  }[];
  t.deepEqual(
    all.map((r) => r.Names[0]),
    ['/node1/web', '/node2/manager', '/node2/other'],
  );
  t.is(repositoryOf('registry:5000/swarm:1'), 'registry:5000/swarm');
  t.is(repositoryOf('swarm@sha256:abc'), 'swarm');
});

test('container.inspect: Node in the ContainerNode shape, cores read back, HostIp rewritten', async (t) => {
  const hooks = withBuiltins();
  const n = node('node1');
  const body = {
    Id: 'x',
    HostConfig: { CpuShares: 512 },
    NetworkSettings: { Ports: { '80/tcp': [{ HostIp: '0.0.0.0', HostPort: '8080' }] } },
  };
  const out = (await hooks.rewriteResponse
    .get('container.inspect')!
    .promise(body, response(request('container.inspect'), n))) as Record<string, any>;
  t.deepEqual(out.Node, {
    ID: n.id,
    IP: '10.0.0.1',
    Addr: '10.0.0.1:2375',
    Name: 'node1',
    Cpus: 2,
    Memory: 1000,
    Labels: { zone: 'z0' },
  });
  t.is(out.HostConfig.CpuShares, 1);
  t.is(out.NetworkSettings.Ports['80/tcp'][0].HostIp, '10.0.0.1');
  t.is(body.HostConfig.CpuShares, 512, 'the engine answer object is not changed in place');
});

test('cpu-cores: the create reserves its cores; the engine gets shares for its own CPU count', async (t) => {
  t.is(sharesFor(1, 2), 512);
  t.is(sharesFor(2, 2), 1024);
  t.is(sharesFor(1, 3), 342);
  t.is(coresFor(342, 3), 1);
  const hooks = createHooks();
  applyPlugins(hooks, [cpuCores()]);
  const config: ContainerConfig = { Image: 'busybox', HostConfig: { CpuShares: 2 } };
  const context: ScheduleContext = scheduleContext(config);
  t.deepEqual(
    await hooks.reserve.promise({ cpus: 0, memory: 0 }, context),
    { cpus: 2, memory: 0 },
    'the reserve stage reads -c as cores',
  );
  t.deepEqual(
    hooks.nodeReserved.call({ cpus: 0, memory: 7 }, { ncpu: 4, cpuShares: 512, memory: 7 }),
    { cpus: 2, memory: 7 },
    "and a node's shares back as cores",
  );
  const withoutPlugin = createHooks();
  t.deepEqual(
    withoutPlugin.nodeReserved.call({ cpus: 0, memory: 7 }, { ncpu: 4, cpuShares: 512, memory: 7 }),
    { cpus: 0, memory: 7 },
    'without it, shares reserve no cores',
  );
  const actions = {
    hasImage: () => true,
    pull: async (): Promise<PullResult> => ({ ok: true, status: 200 }),
  };
  const sent = await hooks.beforeEngineCreate.promise(structuredClone(config), {
    ...context,
    node: node('c', { cpus: 8 }),
    actions,
  });
  t.is(sent.HostConfig!.CpuShares, 256);
  // the cores are kept in a label; a container made again from its inspect (engine shares) keeps its cores
  const labelled = await hooks.beforeSchedule.promise(
    { config: { Image: 'busybox', HostConfig: { CpuShares: 2 } }, query: {} },
    context.requestContext,
  );
  t.is(labelled.config.Labels!['com.docker.swarm.cpu-cores'], '2');
  const again = await hooks.beforeSchedule.promise(
    {
      config: { Image: 'busybox', Labels: labelled.config.Labels, HostConfig: { CpuShares: 1024 } },
      query: {},
    },
    context.requestContext,
  );
  t.is(again.config.HostConfig!.CpuShares, 2);
});

test('image-node-filter: takes node out of the filters (both JSON forms), keeps the rest', (t) => {
  t.deepEqual(takeNodeFilter('{"node":["node2"],"dangling":["false"]}'), {
    nodes: ['node2'],
    rest: '{"dangling":["false"]}',
  });
  t.deepEqual(takeNodeFilter('{"node":{"node1":true}}'), { nodes: ['node1'], rest: '{}' });
  t.deepEqual(takeNodeFilter('{"reference":["busybox"]}'), {});
  t.deepEqual(takeNodeFilter('not json'), {});
});

test('image.list through the request and rewrite stages: only the named node, each row with its Node', async (t) => {
  const hooks = withBuiltins();
  const req = request('image.list', { filters: '{"node":["node2"]}' });
  t.is(await replyBeforeRoute(hooks, req), undefined);
  t.is(req.query.filters, '{}');
  const rows = [withNode({ Id: 'a' }, node('node1')), withNode({ Id: 'b' }, node('node2'))];
  const out = (await hooks.rewriteResponse.get('image.list')!.promise(rows, response(req))) as {
    Id: string;
    Node: { Name: string };
  }[];
  t.deepEqual(
    out.map((r) => [r.Id, r.Node.Name]),
    [['b', 'node2']],
  );
});

test('import-404 answers docker import before any engine; a pull goes on', async (t) => {
  const hooks = withBuiltins();
  const reply = await replyBeforeRoute(hooks, request('image.create', { fromSrc: '-', repo: 'x' }));
  t.is(reply?.status, 404);
  t.regex(String((reply?.body as { message: string }).message), /docker import is not supported/);
  t.is(
    await replyBeforeRoute(hooks, request('image.create', { fromImage: 'busybox', tag: 'latest' })),
    undefined,
  );
});

test("registry-auth: pulls what the node lacks with the client credentials; a failed pull fails with the engine's own error", async (t) => {
  const hooks = withBuiltins();
  const pulls: [string, Record<string, string> | undefined][] = [];
  let pullOk = true;
  let pullMessage = 'invalid reference format';
  const actions = {
    hasImage: (ref: string) => ref === 'busybox',
    pull: async (ref: string, headers?: Record<string, string>) => (
      pulls.push([ref, headers]),
      { ok: pullOk, status: 400, message: pullMessage }
    ),
  };
  const ctx = (headers: Record<string, string>) => ({
    ...scheduleContext({}),
    requestContext: {
      ...request('container.create', {}, headers),
      placing: 'container' as const,
      dryRun: false,
    },
    node: node('n'),
    actions,
  });
  await hooks.beforeEngineCreate.promise({ Image: 'busybox' }, ctx({}));
  t.is(pulls.length, 0, 'no pull for an image the node has');
  await hooks.beforeEngineCreate.promise(
    { Image: 'reg:5000/team/app:1' },
    ctx({ 'x-registry-auth': 'AUTH' }),
  );
  t.deepEqual(pulls.pop(), ['reg:5000/team/app:1', { 'X-Registry-Auth': 'AUTH' }]);
  const config = Buffer.from(
    JSON.stringify({ 'reg:5000': { username: 'u', password: 'p' } }),
  ).toString('base64');
  await hooks.beforeEngineCreate.promise(
    { Image: 'reg:5000/team/app:1' },
    ctx({ 'x-registry-config': config }),
  );
  const sent = pulls.pop()![1]!['X-Registry-Auth']!;
  t.regex(sent, /^[A-Za-z0-9_-]+=*$/, "Go's URL encoding, padded");
  t.deepEqual(JSON.parse(Buffer.from(sent, 'base64url').toString()), {
    username: 'u',
    password: 'p',
  });
  pullOk = false;
  const refused = await t.throwsAsync(
    hooks.beforeEngineCreate.promise({ Image: 'reg:5000/team/app' }, ctx({})),
  );
  t.is((refused as { status?: number }).status, 400);
  t.is(refused!.message, 'invalid reference format');
  pullMessage = 'Head "https://reg:5000/v2/team/app/manifests/latest": no basic auth credentials';
  const denied = await t.throwsAsync(
    hooks.beforeEngineCreate.promise({ Image: 'reg:5000/team/app' }, ctx({})),
  );
  t.is(
    (denied as { status?: number }).status,
    404,
    'the registry wants a login: the CLI pulls with its own',
  );
  t.is(denied!.message, 'No such image: reg:5000/team/app:latest');
  t.is(registryOf('busybox'), 'https://index.docker.io/v1/');
  t.is(registryOf('localhost/x'), 'localhost');
  t.is(authFromConfig('%%%', 'reg:5000/x'), undefined);
});
