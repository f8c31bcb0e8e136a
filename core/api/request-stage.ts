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

/**
 * The `request` taps, then the route's own `routeRequest` taps: the first Reply, if any tap gives one. On every
 * request: with no taps it costs two lookups and no promise.
 */
export function replyBeforeRoute(hooks: SkepHooks, context: RequestContext): Promise<Reply | undefined> | undefined {
  const perRoute = hooks.routeRequest.get(context.route);
  const global = hooks.request.isUsed() ? hooks.request : undefined;
  const local = perRoute?.isUsed() ? perRoute : undefined;
  if (!global && !local) return undefined;
  return (async () => (global && (await global.promise(context))) || (local && (await local.promise(context))) || undefined)();
}

/**
 * Runs the `request` hook, then the route's own `routeRequest` taps, once the router knows the route (its name is
 * the RouteId plugins see), before the route's handler. A tap's Reply answers the client at once; no engine is called.
 */
export function requestStage(deps: ApiDeps): RouterMiddleware {
  return async (ctx, next) => {
    const matched = (ctx as unknown as { matched?: MatchedLayer[] }).matched ?? [];
    const layer = matched.findLast((l) => l.methods.includes(ctx.method));
    // a route's name is one of ROUTE_IDS (a unit test holds the router to that list)
    const context = requestContext(ctx, (layer?.name as RouteId | undefined) ?? `${ctx.method} ${layer?.path ?? ctx.path}`);
    const asked = replyBeforeRoute(deps.hooks, context);
    const reply = asked && (await asked);
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
