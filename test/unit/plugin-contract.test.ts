import Router from '@koa/router';
import test from 'ava';
import { createApp } from '../../core/api/app.js';
import type { ApiDeps } from '../../core/api/deps.js';
import { DockerError } from '../../core/errors.js';
import { createHooks } from '../../core/hooks.js';
import type { SkepPlugin } from '../../core/plugin-api.js';
import { PluginError } from '../../core/plugin-errors.js';
import { applyPlugins } from '../../core/plugins.js';
import { ROUTE_IDS } from '../../core/route-ids.js';
import { recordingLogger } from '../harness/in-process.js';
import { fakeNode, scheduleContext } from '../harness/node-fixture.js';

const plugin = (name: string, apply: SkepPlugin['apply']): SkepPlugin => ({ name, apply });

test('every kind of tap that fails names its plugin and hook, and is logged once at error level with its stack', async (t) => {
  const logger = recordingLogger();
  const hooks = createHooks(logger);
  applyPlugins(
    hooks,
    [
      plugin('callback-style', (h) =>
        h.filter.tapAsync('callback-style', (_nodes, _context, done) =>
          done(new Error('no quorum')),
        ),
      ),
      plugin('sorter', (h) =>
        h.rank.tap('sorter', () => (undefined as unknown as { sort(): never }).sort()),
      ),
      plugin('promiser', (h) =>
        h.beforeSchedule.tapPromise('promiser', async () =>
          Promise.reject(new RangeError('bad label')),
        ),
      ),
    ],
    logger,
  );
  const filtered = await t.throwsAsync(hooks.filter.promise([fakeNode('a')], scheduleContext()), {
    instanceOf: PluginError,
  });
  t.is(filtered!.message, 'plugin "callback-style" failed in filter: no quorum');
  t.is(filtered!.status, 500);
  await t.throwsAsync(hooks.rank.promise([fakeNode('a')], scheduleContext()), {
    message: /^plugin "sorter" failed in rank: Cannot read properties of undefined/,
  });
  await t.throwsAsync(
    hooks.beforeSchedule.promise(scheduleContext().request, scheduleContext().requestContext),
    { message: 'plugin "promiser" failed in beforeSchedule: bad label' },
  );
  const errors = logger.lines.filter((l) => l.startsWith('error '));
  t.is(errors.length, 3, 'each failure is logged once');
  t.regex(
    errors[1]!,
    /^error plugin "sorter" failed in rank: .*\n\s*TypeError: Cannot read properties of undefined[\s\S]*at /,
  );
});

test("a DockerError from any kind of tap is the plugin's answer: it passes unchanged and is not logged", async (t) => {
  const logger = recordingLogger();
  const hooks = createHooks(logger);
  applyPlugins(
    hooks,
    [
      plugin('gate', (h) =>
        h.filter.tapAsync('gate', (_n, _c, done) => done(new DockerError(403, 'not you'))),
      ),
    ],
    logger,
  );
  const refused = await t.throwsAsync(hooks.filter.promise([fakeNode('a')], scheduleContext()), {
    instanceOf: DockerError,
  });
  t.is(refused!.status, 403);
  t.is(refused!.message, 'not you');
  t.deepEqual(logger.lines, []);
});

test('a plugin taps under its own name: it cannot speak as health, in tap names or in the rejections it pushes', async (t) => {
  const hooks = createHooks();
  applyPlugins(hooks, [
    plugin('impostor', (h) => {
      h.filter.tap({ name: 'health', stage: 5 }, (nodes, context) => {
        context.rejections.push({ node: 'a', by: 'health', reason: 'the node is unhealthy' });
        context.conditions.push({ by: 'health', list: ['healthy'] });
        return nodes.slice(1);
      });
      h.filter.tapAsync('health', (nodes, context, done) => {
        context.rejections.push({ node: 'b', by: 'health', reason: 'said in a callback' });
        done(null, nodes);
      });
    }),
  ]);
  const context = scheduleContext();
  await hooks.filter.promise([fakeNode('a'), fakeNode('b')], context);
  t.deepEqual(
    hooks.filter.taps.map((tap) => tap.name),
    ['impostor', 'impostor'],
  );
  t.deepEqual(
    context.rejections.map((r) => r.by),
    ['impostor', 'impostor'],
  );
  t.deepEqual(
    context.conditions.map((c) => c.by),
    ['impostor'],
  );
});

test('plugins can only tap, and get a logger that names them', (t) => {
  const logger = recordingLogger();
  let seen: Record<string, unknown> = {};
  applyPlugins(
    createHooks(),
    [
      plugin('audit', (h, tools) => {
        seen = {
          filter: Object.keys(h.filter).sort(),
          perRoute: Object.keys(h.rewriteResponse.for('container.list')).sort(),
        };
        tools.logger.warn('ready');
      }),
    ],
    logger,
  );
  t.deepEqual(seen, {
    filter: ['tap', 'tapAsync', 'tapPromise'],
    perRoute: ['tap', 'tapAsync', 'tapPromise'],
  });
  t.deepEqual(logger.lines, ['warn plugin audit: ready']);
});

test('a per-route request tap runs for its route only, after the global ones', async (t) => {
  const hooks = createHooks();
  const order: string[] = [];
  applyPlugins(hooks, [
    plugin('per-route', (h) =>
      h.routeRequest.for('container.create').tap('per-route', () => void order.push('route')),
    ),
    plugin('global', (h) => h.request.tap('global', (c) => void order.push(`global ${c.route}`))),
  ]);
  t.truthy(hooks.routeRequest.get('container.create'));
  t.is(
    hooks.routeRequest.get('container.list'),
    undefined,
    'no hook is made for a route nobody taps',
  );
  await hooks.request.promise({ ...scheduleContext().requestContext });
  await hooks.routeRequest.get('container.create')!.promise(scheduleContext().requestContext);
  t.deepEqual(order, ['global container.create', 'route']);
});

test('the route names plugins key hooks by are exactly the routes the API serves', (t) => {
  const names = new Set<string>();
  const register = Router.prototype.register;
  Router.prototype.register = function (this: Router, ...args: Parameters<Router['register']>) {
    const name = (args[3] as { name?: string } | undefined)?.name;
    if (name) names.add(name);
    return register.apply(this, args);
  } as Router['register'];
  try {
    const deps = {
      config: { cors: false, experimental: false },
      cluster: {},
      hooks: createHooks(),
      scheduler: {},
      logger: recordingLogger(),
    } as unknown as ApiDeps;
    createApp(deps);
  } finally {
    Router.prototype.register = register;
  }
  t.deepEqual([...names].sort(), [...ROUTE_IDS].sort());
});
