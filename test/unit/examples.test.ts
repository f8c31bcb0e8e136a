import test from 'ava';
import { createHooks } from '../../core/hooks.js';
import type { RequestContext, RouteId } from '../../core/plugin-api.js';
import { applyPlugins } from '../../core/plugins.js';
import { DockerError } from '../../core/errors.js';
import allowList from '../../docs/examples/allow-list.js';
import imagesPerClient from '../../docs/examples/images-per-client.js';
import { requestFixture, scheduleContext } from '../harness/node-fixture.js';

const request = (route: RouteId): RequestContext =>
  requestFixture({ route, method: 'POST', path: '/x' });

test('the allow-list example refuses unlisted routes before any engine, and unlisted images on create', async (t) => {
  const hooks = createHooks();
  applyPlugins(hooks, [
    allowList({
      routes: ['system.ping', 'container.create'],
      images: ['registry.example.com/*', 'busybox'],
    }),
  ]);
  t.is(await hooks.request.promise(request('system.ping')), undefined);
  const refused = await hooks.request.promise(request('image.delete'));
  t.is(refused?.status, 403);
  t.regex(
    (refused?.body as { message: string }).message,
    /is not allowed here \(route image\.delete\)/,
  );
  const context = scheduleContext().requestContext;
  await t.notThrowsAsync(
    hooks.beforeSchedule.promise(
      { config: { Image: 'registry.example.com/team/app:1' }, query: {} },
      context,
    ),
  );
  await t.notThrowsAsync(
    hooks.beforeSchedule.promise({ config: { Image: 'busybox:latest' }, query: {} }, context),
  );
  const denied = await t.throwsAsync(
    hooks.beforeSchedule.promise({ config: { Image: 'evil/miner' }, query: {} }, context),
    { instanceOf: DockerError },
  );
  t.is(denied!.status, 403);
  t.throws(() => allowList(), { message: /needs "routes"/ });
});

test('the images-per-client example: each certificate its own images, no certificate no container', async (t) => {
  const hooks = createHooks();
  applyPlugins(hooks, [
    imagesPerClient({ clients: { alice: ['registry.example.com/alice/*'], bob: ['busybox'] } }),
  ]);
  const as = (commonName?: string) => ({
    ...scheduleContext().requestContext,
    client: {
      address: '10.0.0.9',
      tls: true,
      certificate: commonName ? { subject: { CN: commonName }, commonName, chain: [] } : undefined,
    },
  });
  const create = (image: string, who?: string) =>
    hooks.beforeSchedule.promise({ config: { Image: image }, query: {} }, as(who));
  await t.notThrowsAsync(create('registry.example.com/alice/app:2', 'alice'));
  await t.notThrowsAsync(create('busybox', 'bob'));
  t.is(
    (await t.throwsAsync(create('busybox', 'alice'), { instanceOf: DockerError }))!.message,
    'alice may not create containers from busybox',
  );
  t.is(
    (await t.throwsAsync(create('busybox'), { instanceOf: DockerError }))!.message,
    'containers can be created only by clients with a certificate',
  );
});
