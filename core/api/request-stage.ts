import type { RouterMiddleware } from '@koa/router';
import type { SkepHooks } from '../hooks.js';
import type { Reply, RequestContext, RouteId } from '../pipeline-types.js';
import type { ApiDeps } from './deps.js';
import { requestContext } from './request-context.js';

interface MatchedLayer {
  name?: string | null;
  path: string;
  methods: string[];
}

/** The `request` taps, then the route's own `routeRequest` taps: the first Reply, if any tap gives one. */
export async function replyBeforeRoute(hooks: SkepHooks, context: RequestContext): Promise<Reply | undefined> {
  for (const hook of [hooks.request, hooks.routeRequest.get(context.route)]) {
    const reply = hook?.isUsed() ? await hook.promise(context) : undefined;
    if (reply) return reply;
  }
  return undefined;
}

/**
 * Runs the `request` hook, then the route's own `routeRequest` taps, once the router knows the route (its name is the RouteId plugins see), before the
 * route's handler. A tap's Reply answers the client at once; no engine is called.
 */
export function requestStage(deps: ApiDeps): RouterMiddleware {
  return async (ctx, next) => {
    const matched = (ctx as unknown as { matched?: MatchedLayer[] }).matched ?? [];
    const layer = matched.findLast((l) => l.methods.includes(ctx.method));
    // a route's name is one of ROUTE_IDS (a unit test holds the router to that list)
    const context = requestContext(ctx, (layer?.name as RouteId | undefined) ?? `${ctx.method} ${layer?.path ?? ctx.path}`);
    const reply = await replyBeforeRoute(deps.hooks, context);
    if (reply) {
      ctx.status = reply.status;
      if (reply.headers) ctx.set(reply.headers);
      if (reply.body !== undefined) {
        ctx.set('Content-Type', 'application/json');
        ctx.body = reply.body;
      }
      return;
    }
    await next();
  };
}
