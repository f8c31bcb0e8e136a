import type { Context, Next } from 'koa';
import type { ApiDeps, SkepState } from './deps.js';

let counter = 0;
/** Short, unique within the process, and free: one per request on the hot path. */
const nextRequestId = () => `${process.pid.toString(36)}-${(++counter).toString(36)}`;

/**
 * What a 5xx answer said, when the route gave no cause of its own (an engine's 5xx passed through).
 */
function answerMessage(ctx: Context): string {
  const body = ctx.body as unknown;
  if (body && typeof body === 'object' && 'message' in body)
    return String((body as { message: unknown }).message);
  if (Buffer.isBuffer(body) && body.length < 4096) {
    try {
      return String(
        (JSON.parse(body.toString('utf8')) as { message?: unknown }).message ??
          body.toString('utf8').trim(),
      );
    } catch {
      return body.toString('utf8').trim();
    }
  }
  return 'no message';
}

/**
 * Every request once it is answered (to its headers, for a stream or a hijack): its metrics;
 * at debug, one line with method, route, status, duration and request ID (no header, no query:
 * either may carry a credential); and for every 5xx a client gets, one error line with its cause.
 */
export function requestLog({ logger, telemetry }: Pick<ApiDeps, 'logger' | 'telemetry'>) {
  return async (
    ctx: Context & { state: SkepState; _matchedRouteName?: string },
    next: Next,
  ): Promise<void> => {
    const started = performance.now();
    const requestId = (ctx.state.requestId = nextRequestId());
    try {
      await next();
    } finally {
      const seconds = (performance.now() - started) / 1000;
      const route = ctx._matchedRouteName ?? 'unmatched';
      // a stream answered on the raw response, or a hijacked connection
      // (the engine's own status line, 101)
      const status =
        ctx.respond === false ? (ctx.res.headersSent ? ctx.res.statusCode : 101) : ctx.status;
      telemetry.httpRequest(route, status, seconds);
      const fields = () => ({
        method: ctx.method,
        route,
        path: ctx.path,
        status,
        duration_ms: Math.round(seconds * 1e5) / 100,
        request_id: requestId,
      });
      if (status >= 500 && !ctx.state.failureLogged)
        logger.error(
          `${ctx.method} ${ctx.path} answered ${status}: ${ctx.state.failure ?? answerMessage(ctx)}`,
          fields(),
        );
      else if (status < 500 && (logger.enabled?.('debug') ?? true))
        logger.debug(
          `${ctx.method} ${ctx.path} ${status} ${Math.round(seconds * 1e5) / 100}ms`,
          fields(),
        );
    }
  };
}
