import type { Context } from 'koa';
import type {
  NodeView,
  OtherRoute,
  RequestContext,
  ResponseContext,
  RouteId,
} from '../pipeline-types.js';
import type { SkepState } from './deps.js';
import { nodeOf } from './row-node.js';
import { readBody } from './body.js';
import { clientOfRequest } from './forwarded-client.js';

/** The query as plugins see it: one string per parameter (the first, as the engine reads it). */
function plainQuery(ctx: Context): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(ctx.query)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[key] = first;
  }
  return out;
}

/**
 * The request as plugins see it: made once per request, so every hook of the request
 * shares its query and state.
 */
export function requestContext(ctx: Context, route?: RouteId | OtherRoute): RequestContext {
  const state = ctx.state as SkepState;
  state.request ??= {
    route: route ?? `${ctx.method} ${ctx.path}`,
    method: ctx.method,
    path: ctx.path,
    query: plainQuery(ctx),
    headers: ctx.req.headers,
    apiVersion: state.apiVersion,
    url: ctx.originalUrl,
    client: clientOfRequest(ctx.req),
    readBody: () => readBody(ctx),
    state: {},
    logger: state.logger,
  };
  return state.request;
}

/**
 * The query string to send an engine: the client's own, unless a `request` tap changed
 * the parameters.
 */
export function outgoingSearch(ctx: Context): string {
  const request = (ctx.state as SkepState).request;
  if (!request || JSON.stringify(request.query) === JSON.stringify(plainQuery(ctx)))
    return ctx.querystring;
  return new URLSearchParams(request.query).toString();
}

/**
 * What `rewriteResponse` taps get: the request, the status, the node that answered (if one did).
 */
export function responseContext(ctx: Context, status: number, node?: NodeView): ResponseContext {
  return { ...requestContext(ctx), status, node, nodeOf };
}
