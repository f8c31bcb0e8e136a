import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestClient } from '../pipeline-types.js';
import { clientOf } from './client-identity.js';

/**
 * Under replication, the client a replica serves, handed to the manager that answers (the primary),
 * so that it judges the request (authorization plugins, `context.client`) by that client and not by
 * the replica's own certificate. Believed only with a valid signature by the managers' shared key.
 */
export const FORWARDED_CLIENT = 'X-Skep-Forwarded-Client';
const VERSION = 'v1';
/**
 * How old (or how far ahead: clocks differ) a signature may be. A replica signs at each attempt,
 * so this bounds only clock skew and replay: a header seen on the wire is good this long, and only
 * for the same method and URL.
 */
export const FRESH_MS = 30_000;

const mac = (key: Buffer, fields: string[]) =>
  createHmac('sha256', key).update(fields.join('\n')).digest();

/**
 * The header's value: `v1.<ms since epoch>.<client as base64url JSON>.<HMAC-SHA256, base64url>`,
 * the HMAC over the version, the time, the method, the URL and the client.
 */
export function signClient(
  key: Buffer,
  client: RequestClient,
  method: string,
  url: string,
  now = Date.now(),
): string {
  const identity = Buffer.from(JSON.stringify(client)).toString('base64url');
  const time = String(now);
  const signature = mac(key, [VERSION, time, method, url, identity]).toString('base64url');
  return [VERSION, time, identity, signature].join('.');
}

export type Verification = { client: RequestClient } | { ignored: string };

const isClient = (value: unknown): value is RequestClient =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as RequestClient).tls === 'boolean' &&
  ((value as RequestClient).certificate === undefined ||
    typeof (value as RequestClient).certificate?.commonName === 'string');

/** The client a header names, when its signature holds for this request and is fresh. */
export function verifyClient(
  key: Buffer,
  value: string,
  method: string,
  url: string,
  now = Date.now(),
): Verification {
  const [version, time, identity, signature, ...rest] = value.split('.');
  if (version !== VERSION || !time || !identity || !signature || rest.length > 0)
    return { ignored: 'malformed' };
  const expected = mac(key, [VERSION, time, method, url, identity]);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ignored: 'bad signature' };
  if (!(Math.abs(now - Number(time)) <= FRESH_MS)) return { ignored: 'stale' };
  try {
    const client: unknown = JSON.parse(Buffer.from(identity, 'base64url').toString('utf8'));
    return isClient(client) ? { client } : { ignored: 'malformed' };
  } catch {
    return { ignored: 'malformed' };
  }
}

/** Requests whose client a replica vouched for. */
const vouched = new WeakMap<IncomingMessage, RequestClient>();

/**
 * On the manager that serves a request: its client is the one a replica signed for, when the
 * signature holds; a header that does not verify (a client's own) is ignored. Either way the header
 * is taken out of the request, so neither plugins nor engines see it. `key` undefined: this manager
 * cannot verify yet (the key is not read), and says so when there is a header to verify.
 */
export function adoptForwardedClient(
  req: IncomingMessage,
  key: Buffer | undefined,
): 'none' | 'adopted' | 'ignored' | 'unverifiable' {
  const name = FORWARDED_CLIENT.toLowerCase();
  const value = req.headers[name];
  if (value === undefined) return 'none';
  if (!key) return 'unverifiable';
  delete req.headers[name];
  for (let i = req.rawHeaders.length - 2; i >= 0; i -= 2)
    if (req.rawHeaders[i]!.toLowerCase() === name) req.rawHeaders.splice(i, 2);
  // several copies: none is believed
  if (typeof value !== 'string') return 'ignored';
  const verified = verifyClient(key, value, req.method ?? '', req.url ?? '');
  if (!('client' in verified)) return 'ignored';
  vouched.set(req, verified.client);
  return 'adopted';
}

/** Who sent a request: the client a replica vouched for, else the connection's own. */
export function clientOfRequest(req: IncomingMessage): RequestClient {
  return vouched.get(req) ?? clientOf(req.socket);
}
