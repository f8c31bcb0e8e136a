import Router, { type RouterMiddleware } from '@koa/router';
import test, { type ExecutionContext } from 'ava';
import Koa from 'koa';
import type { AddressInfo } from 'node:net';
import { RouteIndex, type RouteTable } from '../../core/api/route-index.js';

// Patterns of the shapes the API's route files use: literals, a parameter, a wildcard, a method on several.
const ROUTES: Array<[keyof RouteTable, string, string]> = [
  ['get', 'system.ping', '/_ping'],
  ['head', 'system.ping', '/_ping'],
  ['get', 'system.info', '/info'],
  ['post', 'container.create', '/containers/create'],
  ['get', 'container.list', '/containers/json'],
  ['get', 'container.inspect', '/containers/*name/json'],
  ['post', 'container.action', '/containers/*name/start'],
  ['delete', 'container.delete', '/containers/*name'],
  ['get', 'image.list', '/images/json'],
  ['get', 'image.inspect', '/images/*name/json'],
  ['delete', 'image.delete', '/images/*name'],
  ['post', 'exec.start', '/exec/:id/start'],
  ['all', 'swarm-mode.services', '/services'],
  ['all', 'swarm-mode.services', '/services/*rest'],
  ['get', 'skep.node.inspect', '/skep/nodes/:node'],
];

const REQUESTS: Array<[string, string]> = [
  ['GET', '/_ping'],
  ['HEAD', '/_ping'],
  ['POST', '/_ping'],
  ['GET', '/info/'],
  ['GET', '/INFO'],
  ['GET', '/containers/json'],
  ['GET', '/containers/web-1/json'],
  ['GET', '/containers/a/b/json'],
  ['POST', '/containers/web%2F1/start'],
  ['DELETE', '/containers/web'],
  ['GET', '/containers'],
  ['GET', '/images/busybox:latest/json'],
  ['GET', '/images/registry:5000/busybox/json'],
  ['DELETE', '/images/sha256:abc'],
  ['POST', '/exec/e1/start'],
  ['POST', '/exec/e1/resize'],
  ['PUT', '/services/x/update'],
  ['GET', '/services'],
  ['GET', '/skep/nodes/n1'],
  ['GET', '/skep'],
  ['GET', '/'],
  ['GET', '/nothing/here'],
];

/** A server whose routes answer with the route's name, its parameters and what the every-route stage saw. */
async function serve(
  t: ExecutionContext,
  table: RouteTable & { routes(): Koa.Middleware },
): Promise<string> {
  for (const [method, name, path] of ROUTES) {
    (table[method] as (n: string, p: string, m: RouterMiddleware) => unknown)(name, path, (ctx) => {
      ctx.body = { name, params: ctx.params, stage: ctx.state.stage };
    });
  }
  const app = new Koa();
  app.use(table.routes());
  app.use((ctx) => {
    if (ctx.body === undefined) ctx.body = { unmatched: true };
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  t.teardown(() => server.close());
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const stage: RouterMiddleware = (ctx, next) => {
  ctx.state.stage = (ctx as unknown as { _matchedRouteName?: string })._matchedRouteName ?? 'none';
  return next();
};

test('each request reaches the same route, parameters and stage as through one router', async (t) => {
  const single = new Router();
  single.use(stage);
  const one = await serve(t, single as unknown as RouteTable & { routes(): Koa.Middleware });
  const indexed = await serve(
    t,
    new RouteIndex([stage]) as unknown as RouteTable & { routes(): Koa.Middleware },
  );
  for (const [method, path] of REQUESTS) {
    const [a, b] = await Promise.all([one, indexed].map((base) => fetch(base + path, { method })));
    const [bodyA, bodyB] = await Promise.all([a!.text(), b!.text()]);
    t.deepEqual([b!.status, bodyB], [a!.status, bodyA], `${method} ${path}`);
  }
  const seen = await (await fetch(`${indexed}/containers/web-1/json`)).json();
  t.deepEqual(seen, {
    name: 'container.inspect',
    params: { name: 'web-1' },
    stage: 'container.inspect',
  });
});

test('a route whose first segment is a pattern is refused when it is added', (t) => {
  const index = new RouteIndex();
  t.throws(() => index.get('x', '/:anything/json', () => undefined), {
    message: /must start with a literal/,
  });
  t.throws(() => index.get('x', '/', () => undefined), { message: /must start with a literal/ });
});
