import type { Context } from 'koa';
import type { Engine } from '../../cluster/engine.js';
import type { ApiDeps } from '../deps.js';
import { requireHealthy } from '../locate.js';
import { forwardBuffered, forwardStream } from '../proxy/forward.js';
import { relayHijack } from '../proxy/hijack.js';
import { isUpgrade } from '../upgrades.js';
import type { RouteTable } from '../route-index.js';

/** Exec-scoped calls go to the engine that owns the exec. */
export function execRoutes(router: RouteTable, deps: ApiDeps): void {
  const { cluster, logger } = deps;

  const owner = (ctx: Context): Engine =>
    requireHealthy(cluster.findExec(String(ctx.params.id)), `Exec ${ctx.params.id}`);

  // Attached starts are hijacked; `docker exec -d` sends a plain request and gets a plain answer.
  router.post('exec.start', '/exec/:id/start', async (ctx) => {
    const engine = owner(ctx);
    const path = `exec/${ctx.params.id}/start`;
    if (isUpgrade(ctx.req)) relayHijack(ctx, engine, path, logger);
    else await forwardStream(ctx, engine, path);
  });
  router.post('exec.resize', '/exec/:id/resize', (ctx) =>
    forwardBuffered(ctx, deps, owner(ctx), `exec/${ctx.params.id}/resize`),
  );
  router.get('exec.inspect', '/exec/:id/json', (ctx) =>
    forwardBuffered(ctx, deps, owner(ctx), `exec/${ctx.params.id}/json`),
  );
}
