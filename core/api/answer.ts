import type { Context } from 'koa';
import type { RouteId } from '../pipeline-types.js';
import type { ApiDeps } from './deps.js';
import { requestContext } from './request-context.js';

/** Answers a JSON body the manager built itself, through the route's rewriteResponse taps. */
export async function answer(ctx: Context, deps: ApiDeps, route: RouteId, body: unknown, status = 200): Promise<void> {
  const hook = deps.hooks.rewriteResponse.get(route);
  ctx.status = status;
  ctx.set('Content-Type', 'application/json'); // as engines send it, without a charset
  ctx.body = hook?.isUsed() ? await hook.promise(body, { ...requestContext(ctx, route), status }) : body;
}
