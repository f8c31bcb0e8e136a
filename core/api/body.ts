import type { Context } from 'koa';
import { badRequest, DockerError } from '../errors.js';
import type { SkepState } from './deps.js';
import { isUpgrade, upgradeBody } from './upgrades.js';

/**
 * JSON bodies on control routes are small; this bounds what a client can make the manager buffer.
 */
const MAX_JSON_BODY = 4 * 1024 * 1024;

/**
 * A client that sends a small body slower than this is cut off, so stuck clients cannot pile up
 * (`clients.bodyTimeout`).
 */
const BODY_TIMEOUT_MS = 30_000;

/**
 * The request body, read once (a plugin that read it, as the authorization plugin does, leaves
 * the same bytes for the route), at most 4 MiB (413) and within `clients.bodyTimeout` (408).
 */
export function readBody(ctx: Context): Promise<Buffer> {
  const state = ctx.state as SkepState;
  return (state.body ??= receive(ctx, MAX_JSON_BODY, state.bodyTimeoutMs ?? BODY_TIMEOUT_MS));
}

function receive(ctx: Context, limit: number, timeoutMs: number): Promise<Buffer> {
  const req = ctx.req;
  // an upgrade's body came with its head (the socket after it is the hijacked stream)
  if (isUpgrade(req)) return Promise.resolve(upgradeBody(req));
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const stop = (err?: DockerError) => {
      clearTimeout(timer);
      req.removeListener('data', onData);
      req.removeListener('end', onEnd);
      req.removeListener('error', onError);
      if (!err) return resolve(Buffer.concat(chunks));
      // the rest of the body is not read: the connection cannot carry another request
      ctx.set('Connection', 'close');
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) stop(new DockerError(413, `request body is larger than ${limit} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => stop();
    const onError = (err: Error) =>
      stop(new DockerError(400, `the request body could not be read: ${err.message}`));
    const timer = setTimeout(
      () =>
        stop(new DockerError(408, `the request body did not arrive within ${timeoutMs / 1000}s`)),
      timeoutMs,
    );
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
  });
}

/** Reads a JSON object body; an empty body is `{}`. Bad JSON is a 400 with the parser's reason. */
export async function readJsonObject(ctx: Context): Promise<Record<string, unknown>> {
  const raw = await readBody(ctx);
  if (raw.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (err) {
    throw badRequest(`invalid JSON in request body: ${(err as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw badRequest('request body must be a JSON object');
  return parsed as Record<string, unknown>;
}

type Kind =
  | 'string'
  | 'number'
  | 'boolean'
  | 'object'
  | 'array'
  | 'string list'
  | 'string map'
  | 'object list';

const KIND_CHECKS: Record<Kind, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number' && Number.isFinite(v),
  boolean: (v) => typeof v === 'boolean',
  object: (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  array: (v) => Array.isArray(v),
  'string list': (v) => Array.isArray(v) && v.every((x) => typeof x === 'string'),
  'object list': (v) =>
    Array.isArray(v) && v.every((x) => typeof x === 'object' && x !== null && !Array.isArray(x)),
  'string map': (v) =>
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string'),
};

/**
 * Refuses fields of the wrong JSON type with a 400 in the engine's wording, before anything
 * (a plugin, the scheduler) reads them. `null` is allowed, as Go's decoder allows it. Keys are
 * `Field` or `Parent.Field`.
 */
export function checkTypes(
  body: Record<string, unknown>,
  fields: Record<string, Kind>,
  struct: string,
): void {
  for (const [path, kind] of Object.entries(fields)) {
    const [parent, child] = path.includes('.') ? path.split('.') : [undefined, path];
    const holder =
      parent === undefined ? body : (body[parent] as Record<string, unknown> | null | undefined);
    if (holder === null || holder === undefined || typeof holder !== 'object') continue;
    const value = holder[child!];
    if (value === undefined || value === null || KIND_CHECKS[kind](value)) continue;
    const got = Array.isArray(value) ? 'array' : typeof value;
    throw badRequest(
      `json: cannot unmarshal ${got} into Go struct field ` +
        `${parent ? `${parent}.` : `${struct}.`}${child} of type ${kind}`,
    );
  }
}
