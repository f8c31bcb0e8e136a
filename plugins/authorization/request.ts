import type { FinalAnswer, RequestContext } from '../../core/plugin-api.js';

/**
 * dockerd sends a body to authorization plugins only below this size
 * (pkg/authorization's maxBodySize).
 */
const MAX_BODY = 1024 * 1024;

/** dockerd never shows a plugin the credentials in these headers. */
const SECRET_HEADERS = new Set(['authorization', 'x-registry-auth', 'x-registry-config']);

/**
 * Go's canonical header name (`x-registry-auth` → `X-Registry-Auth`),
 * as the header map dockerd sends has them.
 */
export const canonicalHeader = (name: string) =>
  name
    .toLowerCase()
    .replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());

/**
 * Bodies go to plugins only when they are JSON, and never for `/auth` (credentials):
 * dockerd's `sendBody`.
 */
export function sendsBody(uri: string, contentType: string | undefined): boolean {
  const path = uri.split('?')[0]!;
  if (/^[^/]*\/(v\d[\d.]*\/)?auth/.test(path)) return false;
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase() === 'application/json';
}

/**
 * Headers as a flat map with Go's names, credentials left out;
 * `Host` is not among Go's request headers.
 */
function flatHeaders(
  headers: Readonly<Record<string, string | string[] | undefined | number>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (value === undefined || SECRET_HEADERS.has(lower) || lower === 'host') continue;
    out[canonicalHeader(lower)] = Array.isArray(value) ? value[value.length - 1]! : String(value);
  }
  return out;
}

/**
 * The request as dockerd describes it to an authorization plugin (moby's `authorization.Request`):
 * the user is the client certificate's common name under mutual TLS; byte fields are base64,
 * as Go encodes them; empty fields are left out (`omitempty`).
 */
export async function authzRequest(context: RequestContext): Promise<Record<string, unknown>> {
  const contentType = context.headers['content-type'];
  const length = Number(context.headers['content-length'] ?? 0);
  const body =
    sendsBody(context.url, typeof contentType === 'string' ? contentType : undefined) &&
    length > 0 &&
    length < MAX_BODY
      ? await context.readBody()
      : undefined;
  const certificate = context.client?.certificate;
  // the certificates the client presented: its own and any intermediates,
  // not the root it was verified against
  const presented = certificate?.chain.filter(
    (c, i) => i === 0 || JSON.stringify(c.subject) !== JSON.stringify(c.issuer),
  );
  return omitEmpty({
    User: certificate?.commonName,
    UserAuthNMethod: certificate ? 'TLS' : undefined,
    RequestMethod: context.method,
    RequestUri: context.url,
    RequestBody: body && body.length > 0 ? body.toString('base64') : undefined,
    RequestHeaders: flatHeaders(context.headers),
    RequestPeerCertificates: presented?.map((c) => Buffer.from(c.pem).toString('base64')),
  });
}

/** The same request with the answer added, for the response phase. */
export function withAnswer(
  request: object,
  answer: FinalAnswer,
  context: RequestContext,
): Record<string, unknown> {
  return omitEmpty({
    ...request,
    ResponseStatusCode: answer.status,
    ResponseHeaders: flatHeaders(answer.headers),
    ResponseBody:
      sendsBody(context.url, answer.headers['content-type']) && answer.body.length > 0
        ? answer.body.toString('base64')
        : undefined,
  });
}

function omitEmpty(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (
      value === undefined ||
      value === '' ||
      (Array.isArray(value) && value.length === 0) ||
      (typeof value === 'object' && value !== null && Object.keys(value).length === 0)
    )
      continue;
    out[key] = value;
  }
  return out;
}
