import type { Context } from 'koa';
import type { ApiDeps } from './deps.js';
import { requestContext, responseContext } from './request-context.js';

/** Answers a JSON body the manager built itself, through the route's rewriteResponse taps. */
export async function answer(ctx: Context, deps: ApiDeps, body: unknown, status = 200): Promise<void> {
  const hook = deps.hooks.rewriteResponse.get(requestContext(ctx).route);
  ctx.status = status;
  ctx.set('Content-Type', 'application/json'); // as engines send it, without a charset
  ctx.body = hook?.isUsed() ? await hook.promise(body, responseContext(ctx, status)) : body;
}
