import test from 'ava';
import { createHooks } from '../../core/hooks.js';
import type { ContainerConfig, NodeView } from '../../core/plugin-api.js';
import { applyPlugins } from '../../core/plugins.js';
import { planOver } from '../../core/scheduler/plan.js';
import { parseExpression, valueMatches } from '../../plugins/filters/expressions.js';
import { builtinPlugins, FILTERS, STRATEGIES } from '../../plugins/index.js';
import { fakeContainer, fakeNode, scheduleContext } from '../harness/node-fixture.js';

const GiB = 1024 ** 3;
const nodes = () => [
  fakeNode('node1', {
    id: 'AAA|10.0.0.11:2375',
    labels: { zone: 'z0', storage: 'ssd', storagedriver: 'overlay2' },
  }),
  fakeNode('node2', {
    id: 'BBB|10.0.0.12:2375',
    labels: { zone: 'z1', storage: 'disk', storagedriver: 'overlay2' },
    containerList: [
      fakeContainer('db', {
        id: 'abcdef123456',
        labels: { role: 'database' },
        hostPorts: [{ ip: '0.0.0.0', port: 8080, protocol: 'tcp' }],
      }),
    ],
    imageList: [{ id: 'sha256:1234', tags: ['redis:7'], digests: [] }],
  }),
  fakeNode('node3', {
    id: 'CCC|10.0.0.13:2375',
    labels: { zone: 'z0', storage: 'disk', containerslots: '1' },
    containerList: [fakeContainer('web', { running: false })],
  }),
];

/**
 * Places as a create would (beforeSchedule, then classic's two passes of filter and rank): which nodes, and
 * why not the others.
 */
async function place(
  config: ContainerConfig,
  filters = Object.keys(FILTERS),
  strategy = 'spread',
  list: NodeView[] = nodes(),
) {
  const hooks = createHooks();
  applyPlugins(hooks, builtinPlugins({ filters, strategy, builtins: {} }).plugins);
  const request = await hooks.beforeSchedule.promise(
    { config, query: {} },
    scheduleContext().requestContext,
  );
  // the whole list, as the dry run reads it: every node's reason
  const plan = await planOver(hooks, list, request, scheduleContext().requestContext, {
    whole: true,
  });
  const { context, message } = plan;
  const ranked = await plan.ranked();
  return {
    names: ranked.map((n) => n.name),
    why: Object.fromEntries(context.rejections.map((r) => [r.node, `${r.by}: ${r.reason}`])),
    config: request.config,
    message,
  };
}

test('expressions: operators, soft forms, globs and regular expressions, refusals', (t) => {
  t.like(parseExpression('node==node1', 'constraint'), {
    key: 'node',
    equal: true,
    soft: false,
    value: 'node1',
  });
  t.like(parseExpression('zone!=~z1', 'constraint'), {
    key: 'zone',
    equal: false,
    soft: true,
    value: 'z1',
  });
  t.true(valueMatches('node-*', 'node-12'));
  t.true(valueMatches('/node-[12]/', 'node-2'));
  t.false(valueMatches('/^node-[12]$/', 'node-3'));
  t.true(valueMatches('SSD', 'ssd'), 'case does not matter, as in classic swarm');
  for (const bad of ['zone', 'zone=z1', '==z1', 'zone==/[/'])
    t.throws(() => parseExpression(bad, 'constraint'), {
      message: /invalid constraint expression/,
    });
});

test('constraint: by node name or ID, engine label, standard tag, glob and regex; soft ones give way', async (t) => {
  t.deepEqual((await place({ Env: ['constraint:node==node2'] }, ['constraint'])).names, ['node2']);
  t.deepEqual((await place({ Env: ['constraint:node==CCC'] }, ['constraint'])).names, ['node3']);
  t.deepEqual((await place({ Env: ['constraint:storage==ssd'] }, ['constraint'])).names, ['node1']);
  t.deepEqual(
    (await place({ Env: ['constraint:storagedriver==overlay*'] }, ['constraint'])).names.sort(),
    ['node1', 'node2'],
  );
  t.deepEqual(
    (await place({ Env: ['constraint:node==/node[12]/', 'constraint:zone!=z1'] }, ['constraint']))
      .names,
    ['node1'],
  );
  t.deepEqual(
    (await place({ Labels: { 'com.docker.swarm.constraints': '["zone==z1"]' } }, ['constraint']))
      .names,
    ['node2'],
  );
  const soft = await place({ Env: ['constraint:storage==~nvme', 'constraint:zone==z1'] });
  t.deepEqual(soft.names, ['node2'], 'the soft constraint that nothing meets is dropped');
  // classic's second pass drops every soft expression, even one that some node meets
  const both = await place({ Env: ['affinity:container==~db', 'constraint:zone==z0'] });
  t.deepEqual(
    both.names.sort(),
    ['node1'],
    'a soft affinity that only clashes with a hard constraint gives way',
  );
  t.deepEqual(
    (await place({ Env: ['affinity:container==~db', 'constraint:zone==z1'] })).names,
    ['node2'],
    'kept when it can be met',
  );
  const hard = await place({ Env: ['constraint:storage==nvme'] }, ['constraint']);
  t.deepEqual(hard.names, []);
  t.is(hard.why.node2, 'constraint: constraint storage==nvme not met (storage=disk)');
  const moved = await place({ Env: ['A=1', 'constraint:zone==z1'] }, ['constraint']);
  t.deepEqual(moved.config.Env, ['A=1'], 'the engine never sees constraint: entries');
  t.is(moved.config.Labels!['com.docker.swarm.constraints'], '["zone==z1"]');
});

test('affinity: next to a container, an image, a container label; away with !=; soft forms', async (t) => {
  t.deepEqual((await place({ Env: ['affinity:container==db'] })).names, ['node2']);
  t.deepEqual((await place({ Env: ['affinity:container==abcdef12'] })).names, ['node2']);
  t.deepEqual((await place({ Env: ['affinity:container!=db'] }, ['affinity'])).names, [
    'node1',
    'node3',
  ]);
  t.deepEqual((await place({ Env: ['affinity:image==redis'] })).names, ['node2']);
  t.deepEqual((await place({ Env: ['affinity:image==redis:7'] })).names, ['node2']);
  t.deepEqual((await place({ Env: ['affinity:role==database'] })).names, ['node2']);
  t.deepEqual((await place({ Env: ['affinity:container==nothing'] })).names, []);
  t.deepEqual(
    (await place({ Env: ['affinity:container==~nothing'] }, ['affinity'])).names.length,
    3,
  );
  t.regex(
    (await place({ Env: ['affinity:container==nothing'] })).why.node1!,
    /affinity container==nothing not met \(no container nothing on node1\)/,
  );
});

test('port: a host port taken on a node (stopped containers too), bridge or host networking', async (t) => {
  const bridge = await place(
    { HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } } },
    ['port'],
  );
  t.deepEqual(bridge.names.sort(), ['node1', 'node3']);
  t.is(bridge.why.node2, 'port: port 8080/tcp is already used on node2 (by db)');
  const other = await place(
    { HostConfig: { PortBindings: { '80/udp': [{ HostPort: '8080' }] } } },
    ['port'],
  );
  t.is(other.names.length, 3, 'another protocol');
  const host = await place(
    { ExposedPorts: { '8080/tcp': {} }, HostConfig: { NetworkMode: 'host' } },
    ['port'],
  );
  t.deepEqual(host.names.sort(), ['node1', 'node3']);
});

test('dependency: --volumes-from, --link, --net=container go to the node of the dependency; node/name is rewritten', async (t) => {
  t.deepEqual((await place({ HostConfig: { VolumesFrom: ['db:ro'] } })).names, ['node2']);
  t.deepEqual((await place({ HostConfig: { Links: ['/db:database'] } })).names, ['node2']);
  t.deepEqual((await place({ HostConfig: { NetworkMode: 'container:node2/db' } })).names, [
    'node2',
  ]);
  const split = await place({ HostConfig: { VolumesFrom: ['db'], Links: ['web:w'] } }, [
    'dependency',
  ]);
  t.deepEqual(split.names, []);
  t.is(split.why.node2, 'dependency: --link web: no such container on node2');
  t.is(split.why.node3, 'dependency: --volumes-from db: no such container on node3');
});

test('containerslots caps a node; a value that is not a whole number means no cap', async (t) => {
  const capped = await place({}, ['containerslots']);
  t.false(capped.names.includes('node3'));
  t.is(capped.why.node3, 'containerslots: all 1 container slots are used (containerslots=1)');
  const loose = await place({}, ['containerslots'], 'spread', [
    fakeNode('x', { labels: { containerslots: 'many' }, containers: 50 }),
  ]);
  t.deepEqual(loose.names, ['x']);
});

test('strategies: spread alternates, binpack fills the fullest node that fits, both only rank nodes with the resources', async (t) => {
  const list = () => [
    fakeNode('a', { containers: 2, memory: 4 * GiB, reservedMemory: 3 * GiB }),
    fakeNode('b', { containers: 1, memory: 4 * GiB, reservedMemory: 0 }),
    fakeNode('c', { containers: 0, memory: 4 * GiB, reservedMemory: 0 }),
  ];
  t.deepEqual((await place({}, [], 'spread', list())).names, ['c', 'b', 'a']);
  t.deepEqual((await place({}, [], 'binpack', list())).names, ['a', 'b', 'c']);
  const big = await place({ HostConfig: { Memory: 2 * GiB } }, [], 'binpack', list());
  t.deepEqual(big.names, ['b', 'c'], 'a has 1 GiB free');
  t.is(big.why.a, 'binpack: 1.00 GiB of 4.00 GiB memory free; the container reserves 2.00 GiB');
  t.deepEqual(
    (await place({ HostConfig: { Memory: 4.1 * GiB } }, [], 'spread', list())).names,
    ['c', 'b'],
    'overcommit: 5% beyond capacity',
  );
  t.deepEqual((await place({}, [], 'random', list())).names.sort(), ['a', 'b', 'c']);
  t.deepEqual(Object.keys(STRATEGIES), ['spread', 'binpack', 'random']);
});

test("no node fits: classic's conditions, filter by filter up to the one that failed, then the reasons per node", async (t) => {
  const failed = await place({
    Env: ['constraint:zone==nowhere'],
    HostConfig: { PortBindings: { '80/tcp': [{ HostPort: '8080' }] } },
  });
  t.is(
    failed.message,
    [
      'Unable to find a node that satisfies the following conditions ',
      '[port 8080 (Bridge mode)]',
      '[available container slots]',
      '[zone==nowhere]',
      '[node2: port 8080/tcp is already used on node2 (by db)]',
      '[node3: all 1 container slots are used (containerslots=1)]',
      '[node1: constraint zone==nowhere not met (zone=z0)]',
    ].join('\n'),
  );
  const affinity = await place({
    Env: ['affinity:test.label!=true', 'affinity:container==~nothing', 'constraint:node==node-9'],
  });
  t.regex(
    affinity.message!,
    /^Unable to find a node that satisfies the following conditions \n\[available container slots\]\n\[test\.label!=true \(soft=false\) container==nothing \(soft=true\)\]\n\[node==node-9\]\n\[node3: /,
  );
  const host = await place(
    {
      ExposedPorts: { '8080/tcp': {} },
      HostConfig: { NetworkMode: 'host' },
      Env: ['constraint:zone==z1'],
    },
    ['port', 'constraint'],
  );
  t.regex(host.message!, /conditions \n\[port 8080\/tcp \(Host mode\)\]\n\[zone==z1\]\n/);
  const deps = await place({ HostConfig: { VolumesFrom: ['ghost'], Links: ['db:d'] } }, [
    'health',
    'dependency',
    'constraint',
  ]);
  t.regex(
    deps.message!,
    /conditions \n\[--volumes-from=ghost --link=db:d\]\n\[node1: --volumes-from ghost: no such container on node1\]/,
  );
  const big = await place({ HostConfig: { Memory: 64 * GiB } });
  t.regex(big.message!, /^no resources available to schedule container\n/);
  t.regex(
    big.message!,
    /\n\[node1: 0 MiB of 0 MiB memory free; the container reserves 64\.00 GiB\]/,
  );
  const down = await place({}, ['health'], 'spread', [fakeNode('x', { health: 'unhealthy' })]);
  t.is(down.message, 'No healthy node available in the cluster');
  t.is((await place({}, ['health'], 'spread', [])).message, 'No nodes available in the cluster');
});

test('whitelist: only the nodes it names, from -e whitelist: or the label; classic ignores the operator', async (t) => {
  t.deepEqual((await place({ Env: ['whitelist:node==node1|node3'] }, ['whitelist'])).names.sort(), [
    'node1',
    'node3',
  ]);
  t.deepEqual(
    (await place({ Labels: { 'com.docker.swarm.whitelists': '["node==node2"]' } }, ['whitelist']))
      .names,
    ['node2'],
  );
  const none = await place({ Env: ['whitelist:node==node9'] }, ['whitelist']);
  t.regex(
    none.message!,
    /conditions \n\[node==node9 \(soft=false\)\]\n\[node1: whitelist node==node9 not met/,
  );
  t.deepEqual(none.config.Env, [], 'the engine never sees whitelist: entries');
});

test('a label with bad JSON is ignored with a warning naming it, as classic ignored it', async (t) => {
  const warnings: string[] = [];
  const hooks = createHooks();
  applyPlugins(
    hooks,
    builtinPlugins({ filters: ['constraint', 'affinity'], strategy: 'spread', builtins: {} })
      .plugins,
  );
  const requestContext = {
    ...scheduleContext().requestContext,
    logger: { debug() {}, info() {}, warn: (m: string) => warnings.push(m), error() {} },
  };
  const request = await hooks.beforeSchedule.promise(
    {
      config: {
        Labels: {
          'com.docker.swarm.affinities': '[not json',
          'com.docker.swarm.constraints': '{"a":1}',
        },
      },
      query: {},
    },
    requestContext,
  );
  const plan = await planOver(hooks, nodes(), request, requestContext);
  t.is((await plan.ranked()).length, 3);
  t.true(
    warnings.some((w) => w.startsWith('label com.docker.swarm.affinities is ignored: [not json')),
    warnings.join('\n'),
  );
  t.true(warnings.some((w) => w.startsWith('label com.docker.swarm.constraints is ignored')));
});
