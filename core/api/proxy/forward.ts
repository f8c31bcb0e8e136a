import type { IncomingHttpHeaders } from 'node:http';
import { finished, pipeline } from 'node:stream';
import type { Context } from 'koa';
import { versionedPath } from '../../cluster/api-version.js';
import {
  isClosedWithoutAnswer,
  isConnectionError,
  isTimeout,
} from '../../cluster/engine-client.js';
import type { Engine } from '../../cluster/engine.js';
import { nodeView } from '../../cluster/node-view.js';
import { DockerError } from '../../errors.js';
import type { ApiDeps, SkepState } from '../deps.js';
import { headersForClient, headersForEngine } from '../headers.js';
import { readBody } from '../body.js';
import { outgoingSearch, requestContext, responseContext } from '../request-context.js';
import { tapped } from '../../hooks.js';
import { rewrittenBytes } from './byte-rewrite.js';

export interface ForwardOptions {
  /**
   * A body the route rewrote (a container name replaced by its ID);
   * otherwise the client's body is sent on.
   */
  body?: Buffer;
  /** A query the route rewrote; otherwise the client's query is sent on. */
  search?: string;
  /**
   * Runs after the engine answered and before the client is answered
   * (cache refresh after a state change).
   */
  after?: (status: number, body: Buffer) => Promise<void> | void;
  /** For calls that take long by design; the engine's request timeout otherwise. */
  timeoutMs?: number | false;
}

const EMPTY_STATUS = new Set([204, 304]);

/** The path sent to an engine: the client's API version clamped to the engine's. */
export function pathFor(ctx: Context, engine: Engine, path: string): string {
  return versionedPath(path, (ctx.state as SkepState).apiVersion, engine.version);
}

/**
 * A failed exchange as an error the client can read
 * (the engine's door has counted it toward the node's health).
 */
export function unreachable(engine: Engine, err: unknown): DockerError {
  if (isClosedWithoutAnswer(err))
    return new DockerError(
      500,
      `Node ${engine.name} (${engine.addr}) closed the connection without answering this request`,
    );
  if (!isConnectionError(err)) return new DockerError(500, (err as Error).message);
  const what = isTimeout(err)
    ? `did not answer in time (${(err as Error).message})`
    : `cannot be reached: ${(err as Error).message}`;
  return new DockerError(500, `Node ${engine.name} (${engine.addr}) ${what}`);
}

function hasBody(headers: IncomingHttpHeaders): boolean {
  return (
    (headers['content-length'] !== undefined && headers['content-length'] !== '0') ||
    headers['transfer-encoding'] !== undefined
  );
}

/**
 * Sends the request to the engine, reads the whole answer, lets plugins rewrite JSON,
 * answers the client.
 */
export async function forwardBuffered(
  ctx: Context,
  deps: ApiDeps,
  engine: Engine,
  path: string,
  options: ForwardOptions = {},
): Promise<void> {
  // An engine ignores a body on GET and HEAD (and the HTTP client refuses to send one):
  // read it off and drop it.
  const withoutBody = ctx.method === 'GET' || ctx.method === 'HEAD';
  const received = options.body ?? (hasBody(ctx.req.headers) ? await readBody(ctx) : undefined);
  const body = withoutBody ? undefined : received;
  let res;
  try {
    res = await engine.request(ctx.method, pathFor(ctx, engine, path), {
      headers: headersForEngine(ctx.req.headers, false),
      body,
      search: options.search ?? outgoingSearch(ctx),
      timeoutMs: options.timeoutMs,
    });
  } catch (err) {
    throw unreachable(engine, err);
  }
  await options.after?.(res.status, res.body);
  ctx.status = res.status;
  ctx.set(headersForClient(res.headers));
  if (EMPTY_STATUS.has(res.status) || ctx.method === 'HEAD') return;

  // Only parsed when a plugin rewrites this route's answers, and one of them has no byte form.
  const hook = deps.hooks.rewriteResponse.get(requestContext(ctx).route);
  const isJson = String(res.headers['content-type'] ?? '').includes('json');
  if (tapped(hook) && isJson && res.status < 300) {
    const context = responseContext(ctx, res.status, nodeView(engine));
    const bytes = rewrittenBytes(hook.taps, res.body, context);
    if (bytes) {
      ctx.body = bytes;
      return;
    }
    const parsed: unknown = JSON.parse(res.body.toString('utf8'));
    ctx.body = await hook.promise(parsed, context);
    return;
  }
  ctx.body = res.body;
}

/**
 * Pipes the request to the engine and its answer back without buffering (logs, export, archive,
 * stats, wait). Headers are flushed at once: `docker run` waits on `/wait`'s headers before it
 * starts the container. Resolves once the answer is under way; `settled` once it has ended and
 * `after` has run (a build's hold lasts that long).
 */
export async function forwardStream(
  ctx: Context,
  engine: Engine,
  path: string,
  options: {
    after?: (status: number) => Promise<void> | void;
    headersTimeoutMs?: number | false;
    search?: string;
  } = {},
): Promise<{ settled: Promise<void> }> {
  const sendsBody = ctx.method === 'POST' || ctx.method === 'PUT';
  const upstream = await engine.stream(ctx.method, pathFor(ctx, engine, path), {
    headers: headersForEngine(ctx.req.headers, sendsBody),
    search: options.search ?? outgoingSearch(ctx),
    headersTimeoutMs: options.headersTimeoutMs,
  });
  if (sendsBody) {
    // a body a plugin has read already (see readBody) is sent as read; otherwise it streams through
    const read = (ctx.state as SkepState).body;
    if (read)
      read.then(
        (bytes) => upstream.end(bytes),
        () => upstream.destroy(),
      );
    else if (hasBody(ctx.req.headers)) pipeline(ctx.req, upstream, () => {});
    else upstream.end();
  }
  // The client went away: stop the engine side too (a `logs -f` must not keep the node's log open).
  ctx.res.once('close', () => upstream.destroy());

  const response = await new Promise<{ statusCode: number; headers: IncomingHttpHeaders }>(
    (resolve, reject) => {
      upstream.once('response', resolve);
      upstream.once('error', reject);
    },
  ).catch((err) => {
    throw unreachable(engine, err);
  });
  upstream.on('error', () => {}); // errors after the headers only end the stream
  let afterRun: Promise<unknown> = Promise.resolve();
  if (options.after)
    upstream.once(
      'end',
      () => (afterRun = Promise.resolve(options.after!(response.statusCode)).catch(() => {})),
    );
  const settled = new Promise<void>((resolve) => finished(upstream, () => resolve())).then(() =>
    afterRun.then(() => {}),
  );

  ctx.status = response.statusCode;
  ctx.set(headersForClient(response.headers));
  if (EMPTY_STATUS.has(response.statusCode) || ctx.method === 'HEAD') {
    upstream.resume();
    return { settled };
  }
  ctx.body = upstream;
  // an answer of fixed length (an engine's error to a build, say) keeps its framing: not re-chunked
  const length = response.headers['content-length'];
  if (length !== undefined) ctx.length = Number(length);
  ctx.res.flushHeaders();
  return { settled };
}
