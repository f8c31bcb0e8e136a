import type { RouterMiddleware } from '@koa/router';
import type { ApiDeps } from './deps.js';
import { requestContext } from './request-context.js';

interface MatchedLayer {
  name?: string | null;
  path: string;
  methods: string[];
}

/**
 * Runs the `request` hook once the router knows the route (its name is the RouteId plugins see), before the
 * route's handler. A tap's Reply answers the client at once; no engine is called.
 */
export function requestStage(deps: ApiDeps): RouterMiddleware {
  return async (ctx, next) => {
    const matched = (ctx as unknown as { matched?: MatchedLayer[] }).matched ?? [];
    const layer = matched.findLast((l) => l.methods.includes(ctx.method));
    const context = requestContext(ctx, layer?.name ?? `${ctx.method} ${layer?.path ?? ctx.path}`);
    if (deps.hooks.request.isUsed()) {
      const reply = await deps.hooks.request.promise(context);
      if (reply) {
        ctx.status = reply.status;
        if (reply.headers) ctx.set(reply.headers);
        if (reply.body !== undefined) {
          ctx.set('Content-Type', 'application/json');
          ctx.body = reply.body;
        }
        return;
      }
    }
    await next();
  };
}
