import type { IncomingHttpHeaders } from 'node:http';

/** Hop-by-hop headers (RFC 9110) and the ones each side sets for itself. */
const NOT_FORWARDED_UP = new Set([
  'host',
  'connection',
  'keep-alive',
  'upgrade',
  'proxy-connection',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
]);
const NOT_FORWARDED_DOWN = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'upgrade',
  'trailer',
  // the manager answers these for the whole cluster
  'api-version',
  'server',
  'docker-experimental',
  'ostype',
]);

/**
 * The client's headers as the engine should get them. `keepLength` for bodies streamed through
 * unchanged.
 */
export function headersForEngine(
  headers: IncomingHttpHeaders,
  keepLength: boolean,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || NOT_FORWARDED_UP.has(name)) continue;
    if ((name === 'content-length' || name === 'transfer-encoding') && !keepLength) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

/** The engine's response headers as the client should get them. */
export function headersForClient(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !NOT_FORWARDED_DOWN.has(name)) out[name] = value;
  }
  return out;
}
