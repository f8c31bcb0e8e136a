import test from 'ava';
import { ConfigError } from '../../config/errors.js';
import { DockerError } from '../../core/errors.js';
import { createHooks } from '../../core/hooks.js';
import { PluginError } from '../../core/plugin-errors.js';
import type { SkepPlugin } from '../../core/plugin-api.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyPlugins, loadPlugins, orderPlugins } from '../../core/plugins.js';
import { builtinPlugins } from '../../plugins/index.js';
import { fakeNode, scheduleContext } from '../harness/node-fixture.js';

const node = fakeNode;
const context = () => scheduleContext();

test('health filter and spread strategy: healthy nodes, fewest containers first', async (t) => {
  const hooks = createHooks();
  applyPlugins(
    hooks,
    builtinPlugins({ filters: ['health'], strategy: 'spread', builtins: {} }).plugins,
  );
  const ctx = context();
  const nodes = [
    node('a', { containers: 3 }),
    node('b', { health: 'unhealthy' }),
    node('c', { containers: 1 }),
    node('d', { containers: 1, reservedMemory: 500 }),
  ];
  const filtered = await hooks.filter.promise(nodes, ctx);
  t.deepEqual(
    filtered.map((n) => n.name),
    ['a', 'c', 'd'],
  );
  t.deepEqual(ctx.rejections, [{ node: 'b', by: 'health', reason: 'the node is unhealthy' }]);
  t.deepEqual(
    (await hooks.rank.promise(filtered, ctx)).map((n) => n.name),
    ['c', 'd', 'a'],
  );
});

test('a third-party plugin taps the same hooks, ordered by stage', async (t) => {
  const hooks = createHooks();
  const preferB: SkepPlugin = {
    name: 'prefer-b',
    apply(h) {
      h.rank.tap({ name: 'prefer-b', stage: 100 }, (nodes) =>
        [...nodes].sort((x) => (x.name === 'b' ? -1 : 1)),
      );
    },
  };
  applyPlugins(hooks, [
    preferB,
    ...builtinPlugins({ filters: ['health'], strategy: 'spread', builtins: {} }).plugins,
  ]);
  const ranked = await hooks.rank.promise([node('a'), node('b', { containers: 5 })], context());
  t.is(ranked[0]!.name, 'b');
});

test('plugin lists: falsy entries skipped, nested lists flattened, non-plugins and duplicates refused', async (t) => {
  const p = (name: string): SkepPlugin => ({ name, apply() {} });
  t.deepEqual(
    (await loadPlugins([p('a'), false, null, [p('b'), [undefined, p('c')]]], '.')).map(
      (x) => x.name,
    ),
    ['a', 'b', 'c'],
  );
  await t.throwsAsync(loadPlugins([{ name: 'x' } as unknown as SkepPlugin], '.'), {
    instanceOf: ConfigError,
    message: /"plugins\[0\]" is not a plugin/,
  });
  t.throws(() => applyPlugins(createHooks(), [p('a'), p('a')]), {
    instanceOf: ConfigError,
    message: /two plugins are named "a"/,
  });
  const { unknown } = builtinPlugins({
    filters: ['health', 'nope'],
    strategy: 'fastest',
    builtins: { ghost: false },
  });
  t.deepEqual(
    unknown.map((u) => u.split(' (')[0]),
    [
      'filter not supported: "nope"',
      'strategy not supported: "fastest"',
      'unknown built-in "ghost"',
    ],
  );
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
  await t.throwsAsync(hooks.rank.promise([node('a')], context()), {
    instanceOf: PluginError,
    message: 'plugin "sorter" failed in rank: bad sort',
  });
  const rewrite = hooks.rewriteResponse.get('container.inspect')!;
  await t.throwsAsync(
    rewrite.promise({}, { ...context().requestContext, status: 200, nodeOf: () => undefined }),
    {
      message: 'plugin "decorator" failed in rewriteResponse(container.inspect): bad body',
    },
  );
  const gated = await t.throwsAsync(hooks.filter.promise([node('a')], context()), {
    instanceOf: DockerError,
  });
  t.is(gated!.status, 403);
  t.is(gated!.message, 'not you');
});

test('apply order: pre, built-ins (a same-named plugin replaces one in place), configured in order, post', (t) => {
  const p = (name: string, enforce?: 'pre' | 'post'): SkepPlugin => ({ name, enforce, apply() {} });
  const replacement = p('b');
  const ordered = orderPlugins(
    [p('a'), p('b'), p('c')],
    [p('x'), p('late', 'post'), replacement, p('early', 'pre')],
  );
  t.deepEqual(
    ordered.map((x) => x.name),
    ['early', 'a', 'b', 'c', 'x', 'late'],
  );
  t.is(ordered[2], replacement);
});

test('plugins load from a TypeScript file with options and from an npm package, relative to the config folder', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-plugins-'));
  writeFileSync(
    join(dir, 'tagger.ts'),
    `
    import type { SkepPlugin } from 'skep';
    interface Options { tag: string }
    export default function tagger(options?: Options): SkepPlugin {
      const tag: string = options?.tag ?? 'none';
      return { name: 'tagger-' + tag, apply() {} };
    }
  `,
  );
  mkdirSync(join(dir, 'node_modules', 'skep-plugin-audit'), { recursive: true });
  writeFileSync(
    join(dir, 'node_modules', 'skep-plugin-audit', 'package.json'),
    JSON.stringify({ name: 'skep-plugin-audit', type: 'module', main: 'index.js' }),
  );
  writeFileSync(
    join(dir, 'node_modules', 'skep-plugin-audit', 'index.js'),
    "export const plugin = { name: 'audit', apply() {} };\n",
  );
  const loaded = await loadPlugins(
    ['./tagger.ts', ['./tagger.ts', { tag: 'blue' }], 'skep-plugin-audit'],
    dir,
  );
  t.deepEqual(
    loaded.map((x) => x.name),
    ['tagger-none', 'tagger-blue', 'audit'],
  );
});

test('a plugin that cannot load fails with its name, its file and the reason', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skep-plugins-'));
  writeFileSync(join(dir, 'empty.js'), 'export const nothing = 1;\n');
  writeFileSync(join(dir, 'broken.js'), 'throw new Error("cannot start: no token");\n');
  await t.throwsAsync(loadPlugins(['./missing.ts'], dir), {
    instanceOf: ConfigError,
    message: `plugin "./missing.ts" (${dir}/missing.ts) could not be loaded: no such file`,
  });
  await t.throwsAsync(loadPlugins(['./empty.js'], dir), {
    message: new RegExp(
      `plugin "./empty.js" \\(${dir}/empty.js\\) could not be loaded: its default export is neither`,
    ),
  });
  await t.throwsAsync(loadPlugins(['./broken.js'], dir), {
    message: /broken\.js\) could not be loaded: cannot start: no token/,
  });
  await t.throwsAsync(loadPlugins(['skep-plugin-nowhere'], dir), {
    message: /plugin "skep-plugin-nowhere" .*cannot find the package/,
  });
});

test('a hook or a route ID that does not exist (a JavaScript config, a typo) fails the start, naming the plugin', (t) => {
  const unknownHook = {
    name: 'typo-hook',
    apply: (hooks: any) => hooks.beforeSchedul.tap('x', (r: unknown) => r),
  };
  const unknownRoute = {
    name: 'typo-route',
    apply: (hooks: any) => hooks.rewriteResponse.for('containers.list').tap('x', (b: unknown) => b),
  };
  const error = (plugin: { name: string; apply: (hooks: any) => void }) => {
    try {
      applyPlugins(createHooks(), [plugin as SkepPlugin]);
    } catch (err) {
      return err as Error;
    }
    return undefined;
  };
  const hook = error(unknownHook);
  t.true(hook instanceof ConfigError);
  t.regex(
    hook!.message,
    /^plugin "typo-hook" failed to apply: there is no hook "beforeSchedul" \(hooks: request, .*beforeSchedule/,
  );
  const route = error(unknownRoute);
  t.true(route instanceof ConfigError);
  t.is(
    route!.message,
    `plugin "typo-route" failed to apply: rewriteResponse.for('containers.list'): there is no route "containers.list" (route IDs: docs/plugins.md)`,
  );
  t.is(
    error({
      name: 'fine',
      apply: (hooks: any) =>
        hooks.rewriteResponse.for('container.list').tap('x', (b: unknown) => b),
    }),
    undefined,
  );
});
