import type { Context } from 'koa';
import type { ApiDeps } from './deps.js';
import { requestContext, responseContext } from './request-context.js';
import { tapped } from '../hooks.js';

/**
 * Answers a JSON body the manager built itself, through the route's rewriteResponse taps.
 * `toJson` serialises it where the route knows a faster way than JSON.stringify
 * (the container list reuses each row's text).
 */
export async function answer(
  ctx: Context,
  deps: ApiDeps,
  body: unknown,
  status = 200,
  toJson?: (body: unknown) => string | Buffer,
): Promise<void> {
  const hook = deps.hooks.rewriteResponse.get(requestContext(ctx).route);
  ctx.status = status;
  ctx.set('Content-Type', 'application/json'); // as engines send it, without a charset
  const rewritten = tapped(hook) ? await hook.promise(body, responseContext(ctx, status)) : body;
  ctx.body = toJson ? toJson(rewritten) : rewritten;
}
