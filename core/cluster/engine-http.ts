import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import type { TlsMaterial } from '../../config/types.js';
import type { EngineAddress } from './address.js';

/**
 * The engine call that failed before an answer came: not reached, timed out, or hung up. `code` is Node's
 * (ECONNREFUSED, ECONNRESET...) or ETIMEDOUT for our own timers, as got names them.
 */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    readonly code: string,
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

export interface BufferedAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface EngineRequest {
  method: string;
  /** Path and query, with the leading slash. */
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  connectMs: number;
  /** For the whole exchange (buffered calls) or until the headers (streams); `false` for none. */
  answerMs: number | false;
}

/** A keep-alive connection pool to one engine (tcp, TLS or unix socket). */
export function engineAgent(idleMs: number, tls?: TlsMaterial): http.Agent {
  // Two idle connections kept per node (a re-read inspects two at a time), each closed after `idleMs` unused:
  // long enough for the next health check to find one open instead of connecting again.
  const options = { keepAlive: true, maxSockets: 64, maxFreeSockets: 2, timeout: idleMs, scheduling: 'lifo' as const };
  if (!tls) return new http.Agent(options);
  return new https.Agent({
    ...options,
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    // only when given: tls.connect takes an explicit undefined for a missing function
    ...(tls.serverName ? { checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(tls.serverName!, cert) } : {}),
  });
}

const asTransportError = (err: unknown, fallback: string) =>
  err instanceof TransportError ? err : new TransportError((err as NodeJS.ErrnoException).code ?? fallback, (err as Error).message);

/** A call in flight: its answer's head, and a way to abandon it. */
export interface OpenCall {
  response: Promise<IncomingMessage>;
  abort(): void;
}

/**
 * One request to an engine over node:http. This is the manager's hot path (every cache read, every proxied
 * call, every events stream): plain node:http costs about a third of got's CPU per call, measured at 30,000
 * inspects. The answer timer runs until `settle` is called (headers for a stream, last byte when buffered).
 */
function open(address: EngineAddress, agent: http.Agent, request: EngineRequest): OpenCall & { settle(): void } {
  const transport = agent instanceof https.Agent ? https : http;
  const target = address.kind === 'unix' ? { socketPath: address.socketPath } : { host: address.host, port: address.port };
  let timer: NodeJS.Timeout | undefined;
  let req: http.ClientRequest | undefined;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    try {
      req = transport.request({ ...target, agent, method: request.method, path: request.path, headers: request.headers });
    } catch (err) {
      // a header or path Node refuses to send (ERR_INVALID_CHAR...): the request's fault, not the engine's
      reject(asTransportError(err, 'EREQUEST'));
      return;
    }
    const sent = req;
    const fail = (err: TransportError) => sent.destroy(err);
    if (request.answerMs !== false) {
      const ms = request.answerMs;
      timer = setTimeout(() => fail(new TransportError('ETIMEDOUT', `Timeout awaiting 'request' for ${ms}ms`, true)), ms);
    }
    sent.on('socket', (socket) => {
      if (!socket.connecting) return;
      const connectTimer = setTimeout(() => fail(new TransportError('ETIMEDOUT', `Timeout awaiting 'connect' for ${request.connectMs}ms`, true)), request.connectMs);
      socket.once(transport === https ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      socket.once('close', () => clearTimeout(connectTimer));
    });
    sent.on('response', resolve);
    sent.on('error', (err) => {
      clearTimeout(timer);
      reject(asTransportError(err, 'EREQUEST'));
    });
    sent.end(request.body);
  });
  return { response, settle: () => clearTimeout(timer), abort: () => req?.destroy() };
}

/** A call whose answer is read whole, within `answerMs`. */
export async function bufferedCall(address: EngineAddress, agent: http.Agent, request: EngineRequest): Promise<BufferedAnswer> {
  const call = open(address, agent, request);
  const res = await call.response;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      call.settle();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks) });
    });
    res.on('error', (err) => {
      call.settle();
      reject(asTransportError(err, 'ECONNRESET'));
    });
  });
}

/** A call whose answer streams for as long as it lasts: only its headers must come within `answerMs`. */
export function streamCall(address: EngineAddress, agent: http.Agent, request: EngineRequest): OpenCall {
  const call = open(address, agent, request);
  call.response.then(call.settle, () => {});
  return call;
}
