import { Stream } from 'node:stream';
import type { RouterMiddleware } from '@koa/router';
import type { Context } from 'koa';
import { DockerError } from '../errors.js';
import { type SkepHooks, tapped } from '../hooks.js';
import type { FinalAnswer, Reply, RequestContext, RouteId } from '../pipeline-types.js';
import type { ApiDeps } from './deps.js';
import { requestContext } from './request-context.js';

interface MatchedLayer {
  name?: string | null;
  path: string;
  methods: string[];
}

/**
 * The `request` taps, then the route's own `routeRequest` taps: the first Reply, if any tap gives
 * one. On every request: with no taps it costs two lookups and no promise.
 */
export function replyBeforeRoute(
  hooks: SkepHooks,
  context: RequestContext,
): Promise<Reply | undefined> | undefined {
  const perRoute = hooks.routeRequest.get(context.route);
  const global = tapped(hooks.request) ? hooks.request : undefined;
  const local = tapped(perRoute) ? perRoute : undefined;
  if (!global && !local) return undefined;
  return (async () =>
    (global && (await global.promise(context))) ||
    (local && (await local.promise(context))) ||
    undefined)();
}

/**
 * Runs the `request` hook, then the route's own `routeRequest` taps, once the router knows the
 * route (its name is the RouteId plugins see), before the route's handler. A tap's Reply answers
 * the client at once; no engine is called.
 */
export function requestStage(deps: ApiDeps): RouterMiddleware {
  return async (ctx, next) => {
    const matched = (ctx as unknown as { matched?: MatchedLayer[] }).matched ?? [];
    const layer = matched.findLast((l) => l.methods.includes(ctx.method));
    // a route's name is one of ROUTE_IDS (a unit test holds the router to that list)
    const context = requestContext(
      ctx,
      (layer?.name as RouteId | undefined) ?? `${ctx.method} ${layer?.path ?? ctx.path}`,
    );
    const asked = replyBeforeRoute(deps.hooks, context);
    const reply = asked && (await asked);
    if (reply) return answerWith(ctx, reply);
    if (!tapped(deps.hooks.response)) return next();
    try {
      await next();
    } catch (err) {
      // an error answer goes through the response stage too, as the error middleware would write it
      const known = err instanceof DockerError;
      const body = Buffer.from(
        JSON.stringify({
          message: known ? err.message : `internal error: ${(err as Error).message}`,
        }),
      );
      const instead = await deps.hooks.response.promise(
        { status: known ? err.status : 500, headers: { 'content-type': 'application/json' }, body },
        context,
      );
      if (!instead) throw err;
      return answerWith(ctx, instead);
    }
    const answer = finalAnswer(ctx);
    const instead = answer && (await deps.hooks.response.promise(answer, context));
    if (instead) answerWith(ctx, instead);
  };
}

function answerWith(ctx: Context, reply: Reply): void {
  ctx.status = reply.status;
  if (reply.headers) ctx.set(reply.headers);
  if (reply.body !== undefined) {
    ctx.set('Content-Type', 'application/json');
    ctx.body = reply.body;
  }
}

/**
 * The answer as it will be sent, or undefined for one that streams or was hijacked
 * (it is on its way already).
 */
function finalAnswer(ctx: Context): FinalAnswer | undefined {
  const body: unknown = ctx.body;
  if (ctx.respond === false || ctx.headerSent || body instanceof Stream) return undefined;
  const bytes =
    body === undefined || body === null
      ? Buffer.alloc(0)
      : Buffer.isBuffer(body)
        ? body
        : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  // what the plugins read is what is sent: Koa must not encode the body a second time
  // (Koa keeps the Content-Type the first body set)
  if (body !== undefined && body !== null && !Buffer.isBuffer(body)) ctx.body = bytes;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.response.headers))
    if (value !== undefined)
      headers[name] = Array.isArray(value) ? value.join(', ') : String(value);
  return { status: ctx.status, headers, body: bytes };
}
