import test from 'ava';
import { ConfigError } from '../../config/errors.js';
import { DockerError } from '../../core/errors.js';
import { createHooks } from '../../core/hooks.js';
import { PluginError } from '../../core/plugin-errors.js';
import type { NodeView, ScheduleContext, SkepPlugin } from '../../core/plugin-api.js';
import { applyPlugins, flattenPlugins } from '../../core/plugins.js';
import { noNodeMessage } from '../../core/scheduler/no-node-message.js';
import { builtinPlugins } from '../../plugins/index.js';

const node = (name: string, over: Partial<NodeView> = {}): NodeView => ({
  id: `${name}-id`, name, addr: `${name}:2375`, ip: '10.0.0.1', health: 'healthy', cpus: 2, memory: 1000, labels: {},
  containers: 0, reservedCpus: 0, reservedMemory: 0, serverVersion: '20.10', apiVersion: '1.41', ...over,
});
const context = (): ScheduleContext => ({
  request: { config: { Image: 'busybox' }, query: {} },
  requestContext: { route: 'container.create', method: 'POST', path: '/containers/create', headers: {} },
  rejections: [],
});

test('health filter and spread strategy: healthy nodes, fewest containers first', async (t) => {
  const hooks = createHooks();
  applyPlugins(hooks, builtinPlugins({ filters: ['health'], strategy: 'spread', builtins: {} }).plugins);
  const ctx = context();
  const nodes = [node('a', { containers: 3 }), node('b', { health: 'unhealthy' }), node('c', { containers: 1 }), node('d', { containers: 1, reservedMemory: 500 })];
  const filtered = await hooks.filter.promise(nodes, ctx);
  t.deepEqual(filtered.map((n) => n.name), ['a', 'c', 'd']);
  t.deepEqual(ctx.rejections, [{ node: 'b', by: 'health', reason: 'node b is unhealthy' }]);
  t.deepEqual((await hooks.rank.promise(filtered, ctx)).map((n) => n.name), ['c', 'd', 'a']);
});

test('a third-party plugin taps the same hooks, ordered by stage', async (t) => {
  const hooks = createHooks();
  const preferB: SkepPlugin = {
    name: 'prefer-b',
    apply(h) {
      h.rank.tap({ name: 'prefer-b', stage: 100 }, (nodes) => [...nodes].sort((x) => (x.name === 'b' ? -1 : 1)));
    },
  };
  applyPlugins(hooks, [preferB, ...builtinPlugins({ filters: ['health'], strategy: 'spread', builtins: {} }).plugins]);
  const ranked = await hooks.rank.promise([node('a'), node('b', { containers: 5 })], context());
  t.is(ranked[0]!.name, 'b');
});

test('plugin lists: falsy entries skipped, nested lists flattened, non-plugins and duplicates refused', (t) => {
  const p = (name: string): SkepPlugin => ({ name, apply() {} });
  t.deepEqual(flattenPlugins([p('a'), false, null, [p('b'), [undefined, p('c')]]]).map((x) => x.name), ['a', 'b', 'c']);
  t.throws(() => flattenPlugins([{ name: 'x' } as unknown as SkepPlugin]), { instanceOf: ConfigError, message: /"plugins\[0\]" is not a plugin/ });
  t.throws(() => applyPlugins(createHooks(), [p('a'), p('a')]), { instanceOf: ConfigError, message: /two plugins are named "a"/ });
  const { unknown } = builtinPlugins({ filters: ['health', 'nope'], strategy: 'fastest', builtins: { ghost: false } });
  t.deepEqual(unknown.map((u) => u.split(' (')[0]), ['filter "nope"', 'strategy "fastest"', 'built-in "ghost"']);
});

test('when no node fits, the error says why in classic wording', (t) => {
  t.is(noNodeMessage([node('a')], [{ node: 'a', by: 'health', reason: 'node a is unhealthy' }]), 'No healthy node available in the cluster');
  t.is(
    noNodeMessage([node('a'), node('b')], [{ node: 'a', by: 'constraint', reason: 'zone==z9' }, { node: 'b', by: 'constraint', reason: 'zone==z9' }]),
    'Unable to find a node that satisfies the following conditions \n[zone==z9]',
  );
  t.is(noNodeMessage([], []), 'No nodes in the cluster');
});

test('a failing tap names its plugin and hook; a DockerError passes unchanged', async (t) => {
  const hooks = createHooks();
  hooks.rank.tap('sorter', () => {
    throw new Error('bad sort');
  });
  hooks.rewriteResponse.for('container.inspect').tapPromise('decorator', async () => {
    throw new RangeError('bad body');
  });
  hooks.filter.tap('gate', () => {
    throw new DockerError(403, 'not you');
  });
  await t.throwsAsync(hooks.rank.promise([node('a')], context()), { instanceOf: PluginError, message: 'plugin "sorter" failed in rank: bad sort' });
  const rewrite = hooks.rewriteResponse.get('container.inspect')!;
  await t.throwsAsync(rewrite.promise({}, { ...context().requestContext, status: 200 }), { message: 'plugin "decorator" failed in rewriteResponse(container.inspect): bad body' });
  const gated = await t.throwsAsync(hooks.filter.promise([node('a')], context()), { instanceOf: DockerError });
  t.is(gated!.status, 403);
  t.is(gated!.message, 'not you');
});
