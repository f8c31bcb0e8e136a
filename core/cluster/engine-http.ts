import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import net from 'node:net';
import {
  checkServerIdentity,
  connect as tlsConnect,
  type ConnectionOptions,
  type PeerCertificate,
} from 'node:tls';
import type { TlsMaterial } from '../../config/types.js';
import type { EngineAddress } from './address.js';

/**
 * The engine call that failed before an answer came: not reached, timed out, or hung up. `code` is
 * Node's (ECONNREFUSED, ECONNRESET...) or ETIMEDOUT for our own timers, as got names them.
 * `reached`: the connection was open when it failed, so the engine may have read the request, and
 * done it.
 */
export class TransportError extends Error {
  override name = 'TransportError';
  constructor(
    readonly code: string,
    message: string,
    readonly timedOut = false,
    readonly reached = false,
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

/**
 * The TLS options towards an engine, the one place they are assembled (the pool, got's streams and
 * hijacked connections all use them): the CA to trust, the manager's certificate and key, and the
 * name to expect.
 */
export function tlsOptions(tls: TlsMaterial): ConnectionOptions {
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    // only when given: tls.connect asserts on an explicit undefined checkServerIdentity
    ...(tls.serverName
      ? {
          servername: tls.serverName,
          checkServerIdentity: (_host: string, cert: PeerCertificate) =>
            checkServerIdentity(tls.serverName!, cert),
        }
      : {}),
  };
}

/**
 * Silence on a connection before the kernel probes its link (then every second, ten times: libuv's
 * setting). A cut link, which sends nothing, fails a connection within about 20 s, with no request
 * to the engine.
 */
export const LINK_PROBE_MS = 10_000;

/** A keep-alive connection pool to one engine (tcp, TLS or unix socket). */
export function engineAgent(
  idleMs: number,
  tls?: TlsMaterial,
  probeMs = LINK_PROBE_MS,
): http.Agent {
  // Up to eight idle connections kept per node, each closed after `idleMs` unused: long enough for
  // the next health check to find one open, and enough that clients calling one node on a few
  // connections at once do not pay a connect and a close per call (two kept cost a third of the
  // proxy's CPU at eight connections).
  // An idle one is probed by TCP keepalive after `probeMs` without traffic, not Node's default 1 s
  // (1,000 nodes' idle connections would be probed a thousand times a second).
  const options = {
    keepAlive: true,
    keepAliveMsecs: probeMs,
    maxSockets: 64,
    maxFreeSockets: 8,
    timeout: idleMs,
    scheduling: 'lifo' as const,
  };
  return tls ? new https.Agent({ ...options, ...tlsOptions(tls) }) : new http.Agent(options);
}

/**
 * A raw connection to the engine for a hijacked exchange (attach, exec start), open within
 * `connectMs`. Half-close is allowed, so the client's end of stdin reaches the engine as a FIN
 * while output still flows.
 */
export function rawConnection(
  address: EngineAddress,
  connectMs: number,
  tls?: TlsMaterial,
): Promise<net.Socket> {
  const socket =
    address.kind === 'unix'
      ? net.connect({ path: address.socketPath, allowHalfOpen: true })
      : tls
        ? // TLS ends a direction with close_notify;
          // the engine's side keeps writing until it is done
          tlsConnect({ host: address.host, port: address.port, ...tlsOptions(tls) })
        : net.connect({ host: address.host, port: address.port, allowHalfOpen: true });
  return new Promise((resolve, reject) => {
    // a cut network must not leave the client waiting on the kernel's connect timeout (minutes)
    socket.setTimeout(connectMs, () =>
      socket.destroy(
        new TransportError('ETIMEDOUT', `connect timeout after ${connectMs} ms`, true),
      ),
    );
    const failed = (err: Error) => reject(asTransportError(err, 'ECONNREFUSED'));
    socket.once('error', failed);
    socket.once(tls && address.kind === 'tcp' ? 'secureConnect' : 'connect', () => {
      socket.setTimeout(0);
      socket.removeListener('error', failed);
      resolve(socket);
    });
  });
}

function asTransportError(err: unknown, fallback: string, reached = false): TransportError {
  if (err instanceof TransportError)
    return reached && !err.reached
      ? new TransportError(err.code, err.message, err.timedOut, true)
      : err;
  return new TransportError(
    (err as NodeJS.ErrnoException).code ?? fallback,
    (err as Error).message,
    false,
    reached,
  );
}

/** A call in flight: its answer's head, and a way to abandon it. */
export interface OpenCall {
  response: Promise<IncomingMessage>;
  abort(): void;
}

/**
 * One request to an engine over node:http. This is the manager's hot path (every cache read, every
 * proxied call, every events stream): plain node:http costs about a third of got's CPU per call,
 * measured at 30,000 inspects. The answer timer runs until `settle` is called (headers for a
 * stream, last byte when buffered).
 */
function open(
  address: EngineAddress,
  agent: http.Agent,
  request: EngineRequest,
): OpenCall & { settle(): void } {
  const transport = agent instanceof https.Agent ? https : http;
  const target =
    address.kind === 'unix'
      ? { socketPath: address.socketPath }
      : { host: address.host, port: address.port };
  let timer: NodeJS.Timeout | undefined;
  let req: http.ClientRequest | undefined;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    try {
      req = transport.request({
        ...target,
        agent,
        method: request.method,
        path: request.path,
        headers: request.headers,
      });
    } catch (err) {
      // a header or path Node refuses to send (ERR_INVALID_CHAR...):
      // the request's fault, not the engine's
      reject(asTransportError(err, 'EREQUEST'));
      return;
    }
    const sent = req;
    const fail = (err: TransportError) => sent.destroy(err);
    // a kept-alive socket, or a new one once connected:
    // from then on the engine may have read the request
    let connected = false;
    if (request.answerMs !== false) {
      const ms = request.answerMs;
      timer = setTimeout(
        () => fail(new TransportError('ETIMEDOUT', `Timeout awaiting 'request' for ${ms}ms`, true)),
        ms,
      );
    }
    sent.on('socket', (socket) => {
      if (!socket.connecting) return void (connected = true);
      const connectEvent = transport === https ? 'secureConnect' : 'connect';
      const connectTimer = setTimeout(
        () =>
          fail(
            new TransportError(
              'ETIMEDOUT',
              `Timeout awaiting 'connect' for ${request.connectMs}ms`,
              true,
            ),
          ),
        request.connectMs,
      );
      // both listeners go once either fires: a kept-alive socket must not hold this request
      // (and its whole answer) for as long as it lives, as a leftover 'close' listener did
      // (30 MB at 1,000 nodes)
      const done = () => {
        clearTimeout(connectTimer);
        socket.removeListener(connectEvent, opened);
        socket.removeListener('close', done);
      };
      const opened = () => {
        connected = true;
        done();
      };
      socket.once(connectEvent, opened);
      socket.once('close', done);
    });
    sent.on('response', resolve);
    sent.on('error', (err) => {
      clearTimeout(timer);
      reject(asTransportError(err, 'EREQUEST', connected));
    });
    sent.end(request.body);
  });
  return { response, settle: () => clearTimeout(timer), abort: () => req?.destroy() };
}

/** A call whose answer is read whole, within `answerMs`. */
export async function bufferedCall(
  address: EngineAddress,
  agent: http.Agent,
  request: EngineRequest,
): Promise<BufferedAnswer> {
  const call = open(address, agent, request);
  const res = await call.response;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => {
      call.settle();
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks),
      });
    });
    res.on('error', (err) => {
      call.settle();
      reject(asTransportError(err, 'ECONNRESET', true));
    });
  });
}

/**
 * A call whose answer streams for as long as it lasts:
 * only its headers must come within `answerMs`.
 */
export function streamCall(
  address: EngineAddress,
  agent: http.Agent,
  request: EngineRequest,
): OpenCall {
  const call = open(address, agent, request);
  call.response.then(call.settle, () => {});
  return call;
}

/**
 * An engine refused to switch protocols: its answer, for the client
 * (a 404 from an engine without BuildKit...).
 */
export class UpgradeRefused extends Error {
  override name = 'UpgradeRefused';
  constructor(
    readonly status: number,
    readonly head: string,
    readonly body: Buffer,
  ) {
    super(`the engine answered ${status} instead of switching protocols`);
  }
}

const MAX_UPGRADE_ANSWER = 64 * 1024;

/**
 * Asks the engine, on a connection of its own, to switch protocols
 * (`POST /grpc` with `Upgrade: h2c`): resolves with the socket once the engine answered 101,
 * positioned after that answer (bytes the engine sent with it, as an h2 preface, are read from the
 * socket as usual). Nothing else is sent first: dockerd drops what arrives before its 101. Another
 * answer rejects with UpgradeRefused, read to its end.
 */
export async function upgradeConnection(
  socket: net.Socket,
  requestHead: string,
  answerMs: number,
): Promise<net.Socket> {
  socket.setNoDelay(true);
  socket.write(requestHead);
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const timer = setTimeout(
      () =>
        fail(
          new TransportError(
            'ETIMEDOUT',
            `Timeout awaiting the switch of protocols for ${answerMs}ms`,
            true,
            true,
          ),
        ),
      answerMs,
    );
    const done = () => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('error', fail);
      socket.removeListener('end', onEnd);
    };
    const fail = (err: Error) => {
      done();
      socket.destroy();
      reject(asTransportError(err, 'ECONNRESET', true));
    };
    const refused = (status: number, head: string, body: Buffer) => {
      done();
      socket.destroy();
      reject(new UpgradeRefused(status, head, body));
    };
    const onEnd = () => {
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return fail(new TransportError('ECONNRESET', 'socket hang up', false, true));
      refused(
        statusOf(buffered),
        buffered.subarray(0, end).toString('latin1'),
        buffered.subarray(end + 4),
      );
    };
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0)
        return void (
          buffered.length > MAX_UPGRADE_ANSWER &&
          fail(new TransportError('EPROTO', 'the engine answered no HTTP head'))
        );
      const status = statusOf(buffered);
      const head = buffered.subarray(0, end).toString('latin1');
      if (status === 101) {
        done();
        socket.pause();
        if (buffered.length > end + 4) socket.unshift(buffered.subarray(end + 4));
        return resolve(socket);
      }
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
      if (length !== undefined && buffered.length >= end + 4 + Number(length))
        refused(status, head, buffered.subarray(end + 4, end + 4 + Number(length)));
    };
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('end', onEnd);
  });
}

const statusOf = (answer: Buffer) =>
  Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer.subarray(0, 16).toString('latin1'))?.[1] ?? 0);
