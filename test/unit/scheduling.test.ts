import test from 'ava';
import { createHooks } from '../../core/hooks.js';
import type { ContainerConfig, NodeView } from '../../core/plugin-api.js';
import { applyPlugins } from '../../core/plugins.js';
import { parseExpression, valueMatches } from '../../plugins/filters/expressions.js';
import { builtinPlugins, FILTERS, STRATEGIES } from '../../plugins/index.js';
import { fakeContainer, fakeNode, scheduleContext } from '../harness/node-fixture.js';

const GiB = 1024 ** 3;
const nodes = () => [
  fakeNode('node1', { id: 'AAA|10.0.0.11:2375', labels: { zone: 'z0', storage: 'ssd', storagedriver: 'overlay2' } }),
  fakeNode('node2', {
    id: 'BBB|10.0.0.12:2375',
    labels: { zone: 'z1', storage: 'disk', storagedriver: 'overlay2' },
    containerList: [fakeContainer('db', { id: 'abcdef123456', labels: { role: 'database' }, hostPorts: [{ ip: '0.0.0.0', port: 8080, protocol: 'tcp' }] })],
    imageList: [{ id: 'sha256:1234', tags: ['redis:7'], digests: [] }],
  }),
  fakeNode('node3', { id: 'CCC|10.0.0.13:2375', labels: { zone: 'z0', storage: 'disk', containerslots: '1' }, containerList: [fakeContainer('web', { running: false })] }),
];

/** Runs the named filters (through the hooks, as a create would) and says which nodes stay and why the others went. */
async function place(config: ContainerConfig, filters = Object.keys(FILTERS), strategy = 'spread', list: NodeView[] = nodes()) {
  const hooks = createHooks();
  applyPlugins(hooks, builtinPlugins({ filters, strategy, builtins: {} }).plugins);
  const request = await hooks.beforeSchedule.promise({ config, query: {} }, scheduleContext().requestContext);
  const context = scheduleContext(request.config);
  const kept = await hooks.filter.promise(list, context);
  const ranked = kept.length ? await hooks.rank.promise(kept, context) : [];
  return { names: ranked.map((n) => n.name), why: Object.fromEntries(context.rejections.map((r) => [r.node, `${r.by}: ${r.reason}`])), config: request.config };
}

test('expressions: operators, soft forms, globs and regular expressions, refusals', (t) => {
  t.like(parseExpression('node==node1', 'constraint'), { key: 'node', equal: true, soft: false, value: 'node1' });
  t.like(parseExpression('zone!=~z1', 'constraint'), { key: 'zone', equal: false, soft: true, value: 'z1' });
  t.true(valueMatches('node-*', 'node-12'));
  t.true(valueMatches('/node-[12]/', 'node-2'));
  t.false(valueMatches('/^node-[12]$/', 'node-3'));
  t.true(valueMatches('SSD', 'ssd'), 'case does not matter, as in classic swarm');
  for (const bad of ['zone', 'zone=z1', '==z1', 'zone==/[/']) t.throws(() => parseExpression(bad, 'constraint'), { message: /invalid constraint expression/ });
});

test('constraint: by node name or ID, engine label, standard tag, glob and regex; soft ones give way', async (t) => {
  t.deepEqual((await place({ Env: ['constraint:node==node2'] }, ['constraint'])).names, ['node2']);
  t.deepEqual((await place({ Env: ['constraint:node==CCC'] }, ['constraint'])).names, ['node3']);
  t.deepEqual((await place({ Env: ['constraint:storage==ssd'] }, ['constraint'])).names, ['node1']);
  t.deepEqual((await place({ Env: ['constraint:storagedriver==overlay*'] }, ['constraint'])).names.sort(), ['node1', 'node2']);
  t.deepEqual((await place({ Env: ['constraint:node==/node[12]/', 'constraint:zone!=z1'] }, ['constraint'])).names, ['node1']);
  t.deepEqual((await place({ Labels: { 'com.docker.swarm.constraints': '["zone==z1"]' } }, ['constraint'])).names, ['node2']);
  const soft = await place({ Env: ['constraint:storage==~nvme', 'constraint:zone==z1'] });
  t.deepEqual(soft.names, ['node2'], 'the soft constraint that nothing meets is dropped');
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
  t.deepEqual((await place({ Env: ['affinity:container!=db'] }, ['affinity'])).names, ['node1', 'node3']);
  t.deepEqual((await place({ Env: ['affinity:image==redis'] })).names, ['node2']);
  t.deepEqual((await place({ Env: ['affinity:image==redis:7'] })).names, ['node2']);
  t.deepEqual((await place({ Env: ['affinity:role==database'] })).names, ['node2']);
  t.deepEqual((await place({ Env: ['affinity:container==nothing'] })).names, []);
  t.deepEqual((await place({ Env: ['affinity:container==~nothing'] }, ['affinity'])).names.length, 3);
  t.regex((await place({ Env: ['affinity:container==nothing'] })).why.node1!, /affinity container==nothing not met \(no container nothing on node1\)/);
});

test('port: a host port taken on a node (stopped containers too), bridge or host networking', async (t) => {
  const bridge = await place({ HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } } }, ['port']);
  t.deepEqual(bridge.names.sort(), ['node1', 'node3']);
  t.is(bridge.why.node2, 'port: port 8080/tcp is already used on node2 (by db)');
  const other = await place({ HostConfig: { PortBindings: { '80/udp': [{ HostPort: '8080' }] } } }, ['port']);
  t.is(other.names.length, 3, 'another protocol');
  const host = await place({ ExposedPorts: { '8080/tcp': {} }, HostConfig: { NetworkMode: 'host' } }, ['port']);
  t.deepEqual(host.names.sort(), ['node1', 'node3']);
});

test('dependency: --volumes-from, --link, --net=container go to the node of the dependency; node/name is rewritten', async (t) => {
  t.deepEqual((await place({ HostConfig: { VolumesFrom: ['db:ro'] } })).names, ['node2']);
  t.deepEqual((await place({ HostConfig: { Links: ['/db:database'] } })).names, ['node2']);
  t.deepEqual((await place({ HostConfig: { NetworkMode: 'container:node2/db' } })).names, ['node2']);
  const split = await place({ HostConfig: { VolumesFrom: ['db'], Links: ['web:w'] } }, ['dependency']);
  t.deepEqual(split.names, []);
  t.is(split.why.node2, 'dependency: --link web: no such container on node2');
  t.is(split.why.node3, 'dependency: --volumes-from db: no such container on node3');
});

test('containerslots caps a node; a value that is not a whole number means no cap', async (t) => {
  const capped = await place({}, ['containerslots']);
  t.false(capped.names.includes('node3'));
  t.is(capped.why.node3, 'containerslots: all 1 container slots are used (containerslots=1)');
  const loose = await place({}, ['containerslots'], 'spread', [fakeNode('x', { labels: { containerslots: 'many' }, containers: 50 })]);
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
  t.deepEqual((await place({ HostConfig: { Memory: 4.1 * GiB } }, [], 'spread', list())).names, ['c', 'b'], 'overcommit: 5% beyond capacity');
  t.deepEqual((await place({}, [], 'random', list())).names.sort(), ['a', 'b', 'c']);
  t.deepEqual(Object.keys(STRATEGIES), ['spread', 'binpack', 'random']);
});
