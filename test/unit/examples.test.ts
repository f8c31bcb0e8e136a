import test from 'ava';
import { createHooks } from '../../core/hooks.js';
import type { RequestContext, RouteId } from '../../core/plugin-api.js';
import { applyPlugins } from '../../core/plugins.js';
import { DockerError } from '../../core/errors.js';
import allowList from '../../docs/examples/allow-list.js';
import { requestFixture, scheduleContext } from '../harness/node-fixture.js';

const request = (route: RouteId): RequestContext => requestFixture({ route, method: 'POST', path: '/x' });

test('the allow-list example refuses unlisted routes before any engine, and unlisted images on create', async (t) => {
  const hooks = createHooks();
  applyPlugins(hooks, [allowList({ routes: ['system.ping', 'container.create'], images: ['registry.example.com/*', 'busybox'] })]);
  t.is(await hooks.request.promise(request('system.ping')), undefined);
  const refused = await hooks.request.promise(request('image.delete'));
  t.is(refused?.status, 403);
  t.regex((refused?.body as { message: string }).message, /is not allowed here \(route image\.delete\)/);
  const context = scheduleContext().requestContext;
  await t.notThrowsAsync(hooks.beforeSchedule.promise({ config: { Image: 'registry.example.com/team/app:1' }, query: {} }, context));
  await t.notThrowsAsync(hooks.beforeSchedule.promise({ config: { Image: 'busybox:latest' }, query: {} }, context));
  const denied = await t.throwsAsync(hooks.beforeSchedule.promise({ config: { Image: 'evil/miner' }, query: {} }, context), { instanceOf: DockerError });
  t.is(denied!.status, 403);
  t.throws(() => allowList(), { message: /needs "routes"/ });
});
