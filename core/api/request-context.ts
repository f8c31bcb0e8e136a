import type { Context } from 'koa';
import type { RequestContext, RouteId } from '../pipeline-types.js';
import type { SkepState } from './deps.js';

/** The request as plugins see it. */
export function requestContext(ctx: Context, route: RouteId): RequestContext {
  return {
    route,
    method: ctx.method,
    path: ctx.path,
    headers: ctx.req.headers,
    apiVersion: (ctx.state as SkepState).apiVersion,
  };
}
