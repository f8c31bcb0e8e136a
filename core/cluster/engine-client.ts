import type { Agent, IncomingHttpHeaders } from 'node:http';
import type { Got, Request } from 'got';
import type { ConnectionOptions, PeerCertificate } from 'node:tls';
import type net from 'node:net';
import type { TlsMaterial } from '../../config/types.js';
import type { EngineAddress } from './address.js';
import type { EngineOutcome } from '../telemetry.js';
import {
  type BufferedAnswer,
  bufferedCall,
  engineAgent,
  type OpenCall,
  rawConnection,
  streamCall,
  tlsOptions,
  TransportError,
  upgradeConnection,
} from './engine-http.js';
import { pipelinedGets } from './pipelined-gets.js';

export interface EngineTimeouts {
  /** For the manager's own calls (refresh, inspect). */
  requestMs: number;
  /** For opening a connection, on every call, proxied streams included. */
  connectMs: number;
  /** How long an unused kept-alive connection stays open. */
  idleMs: number;
  /**
   * Silence on a connection (a pooled one, the event stream) before TCP keepalive probes its link.
   */
  probeMs: number;
}

export interface EngineResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** An engine answered the manager's own call with an error status. */
export class EngineCallError extends Error {
  override name = 'EngineCallError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * What answered is not a Docker engine (a web server on the wrong port): the address works, the
 * node never will. Counts as a failure like a refused connection, and makes a node that never
 * connected Unhealthy.
 */
export class NotAnEngineError extends Error {
  override name = 'NotAnEngineError';
}

/**
 * got, loaded on the first proxied stream: importing it is a tenth of a second of every start-up.
 */
let gotModule: typeof import('got') | undefined;
const loadGot = async () => (gotModule ??= await import('got'));
/** A got error (none can exist before got is loaded). */
const isGotError = (err: unknown): err is import('got').RequestError =>
  gotModule !== undefined && err instanceof gotModule.RequestError;

/**
 * got's own refusals of a request it was given (a GET with a body...):
 * the client's mistake, not the engine's.
 */
const REQUEST_MISTAKES = new Set([
  'ERR_GOT_REQUEST_ERROR',
  'ERR_INVALID_ARG_TYPE',
  'ERR_INVALID_ARG_VALUE',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_INVALID_CHAR',
  'ERR_UNESCAPED_CHARACTERS',
]);

/**
 * The engine took the request and closed the connection without an answer: a refusal of that one
 * request (dockerd drops some malformed ones this way), not a sign that the node is down.
 */
export function isClosedWithoutAnswer(err: unknown): boolean {
  const unanswered =
    err instanceof TransportError || (isGotError(err) && err.response === undefined);
  return unanswered && (err.code === 'ECONNRESET' || /socket hang up/.test(err.message));
}

/**
 * True when the engine could not be reached
 * (as opposed to answering with an error, or a request that could not be sent).
 */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof TransportError) return !REQUEST_MISTAKES.has(err.code);
  return (
    isGotError(err) &&
    err.response === undefined &&
    !REQUEST_MISTAKES.has(err.code) &&
    !/cannot be used with a body/.test(err.message)
  );
}

/**
 * The call failed once its connection was open, so the engine may have read it and done it
 * (a create made, its answer lost); false only when it surely never got there (refused, or no
 * connection within the connect timeout).
 */
export function mayHaveReached(err: unknown): boolean {
  return !(err instanceof TransportError) || err.reached;
}

/** The engine did not answer within a timeout (ours or got's). */
export function isTimeout(err: unknown): boolean {
  return (
    (gotModule !== undefined && err instanceof gotModule.TimeoutError) ||
    (err instanceof TransportError && err.timedOut)
  );
}

/** The message an engine put in its error body, or the body itself. */
export function engineMessage(body: Buffer | string): string {
  const text = body.toString();
  try {
    const parsed = JSON.parse(text) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    /* not JSON */
  }
  return text.trim();
}

/** The TLS options in got's own names. */
const gotTls = (o: ConnectionOptions) => ({
  certificateAuthority: o.ca,
  certificate: o.cert,
  key: o.key,
  checkServerIdentity: o.checkServerIdentity as
    ((host: string, cert: PeerCertificate) => Error | undefined) | undefined,
});

function dropUndefined(
  query: Query | undefined,
): Record<string, string | number | boolean> | undefined {
  if (!query) return undefined;
  return Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number | boolean
  >;
}

function pathWithQuery(path: string, query?: Query, search?: string): string {
  const qs =
    search ||
    new URLSearchParams(dropUndefined(query) as Record<string, string> | undefined).toString();
  return qs ? `/${path}?${qs}` : `/${path}`;
}

/**
 * Talks to one engine over tcp or a unix socket. Paths are given without a leading slash. Calls
 * answered whole go over node:http with a keep-alive pool (the hot path); streams go through got.
 */
export class EngineClient {
  private streams?: Got;
  private agent: Agent;

  constructor(
    readonly address: EngineAddress,
    readonly timeouts: EngineTimeouts,
    /**
     * For engines that require TLS:
     * the CA to trust, the manager's certificate and key, the name to expect.
     */
    public tls?: TlsMaterial,
    /**
     * Told of every buffered exchange, with its outcome and time (the operator listener's metrics).
     */
    private readonly observe?: (outcome: EngineOutcome, seconds: number) => void,
  ) {
    this.agent = engineAgent(timeouts.idleMs, tls, timeouts.probeMs);
  }

  /** got, for proxied streams; made on first use (most of 1,000 nodes never stream). */
  private async http(): Promise<Got> {
    const { default: got } = await loadGot();
    const { address, tls } = this;
    const host = address.host.includes(':') ? `[${address.host}]` : address.host;
    return (this.streams ??= got.extend({
      prefixUrl:
        address.kind === 'unix'
          ? `http://unix:${address.socketPath}:/`
          : `${tls ? 'https' : 'http'}://${host}:${address.port}/`,
      https: tls ? gotTls(tlsOptions(tls)) : undefined,
      enableUnixSockets: address.kind === 'unix',
      retry: { limit: 0 },
      throwHttpErrors: false,
      decompress: false,
      followRedirect: false,
    }));
  }

  /**
   * The engine's specs (`/version`, `/info`): an answer that is not a Docker engine's (no such
   * route, not JSON) is a NotAnEngineError that says what answered; another error answer is a
   * failure with the engine's words.
   */
  async spec<T>(path: 'version' | 'info'): Promise<T> {
    const res = await this.request('GET', path);
    const what = `GET /${path} answered ${res.status}`;
    if (res.status === 404) throw new NotAnEngineError(`not a Docker engine: ${what}`);
    if (res.status >= 300) throw new Error(`${what}: ${engineMessage(res.body) || 'no message'}`);
    try {
      return JSON.parse(res.body.toString()) as T;
    } catch {
      throw new NotAnEngineError(
        `not a Docker engine: ${what} with ${res.headers['content-type'] ?? 'a body'} that is not JSON`,
      );
    }
  }

  /** A manager-side GET that must answer 2xx with JSON, within the request timeout. */
  async json<T>(path: string, query?: Query): Promise<T> {
    const res = await this.request('GET', path, { query });
    if (res.status >= 300) throw new EngineCallError(res.status, engineMessage(res.body));
    return JSON.parse(res.body.toString()) as T;
  }

  /**
   * Manager-side GETs that must each answer 2xx with JSON, pipelined on a connection of their own
   * (a node's inventory: its images, networks, volumes and every container's inspect). `each` gets
   * every result in order: the parsed JSON, or the error (an EngineCallError for an error answer).
   * What the engine left unanswered is asked one by one. Rejects with the connection's failure when
   * nothing could be read.
   */
  async jsonEach<T>(
    paths: string[],
    each: (index: number, result: T | Error) => void,
  ): Promise<void> {
    if (paths.length === 0) return;
    const started = performance.now();
    const socket = await this.raw().catch((err: unknown) => {
      this.observe?.('failed', (performance.now() - started) / 1000);
      throw err;
    });
    const { address } = this;
    const host =
      address.kind === 'unix'
        ? 'docker'
        : address.host.includes(':')
          ? `[${address.host}]:${address.port}`
          : `${address.host}:${address.port}`;
    const result = (answer: BufferedAnswer): T | Error => {
      this.observe?.(
        answer.status >= 500 ? 'server_error' : answer.status >= 400 ? 'client_error' : 'ok',
        (performance.now() - started) / 1000,
      );
      if (answer.status >= 300)
        return new EngineCallError(answer.status, engineMessage(answer.body));
      try {
        return JSON.parse(answer.body.toString()) as T;
      } catch (err) {
        return err as Error;
      }
    };
    const answered = await pipelinedGets(
      socket,
      host,
      paths.map((p) => `/${p}`),
      this.timeouts.requestMs,
      (i, answer) => each(i, result(answer)),
    );
    for (let i = answered; i < paths.length; i++)
      each(
        i,
        await this.json<T>(paths[i]!).catch((err: unknown) =>
          err instanceof EngineCallError ? err : Promise.reject(err),
        ),
      );
  }

  /**
   * A proxied call, buffered whole. It has the request timeout unless the caller gives its own
   * (`docker stop -t 600` legitimately takes ten minutes) or `false` for none.
   */
  async request(
    method: string,
    path: string,
    options: {
      headers?: Record<string, string>;
      body?: Buffer | string;
      query?: Query;
      search?: string;
      timeoutMs?: number | false;
    } = {},
  ): Promise<EngineResponse> {
    const call = bufferedCall(this.address, this.agent, {
      method,
      path: pathWithQuery(path, options.query, options.search),
      headers: options.headers,
      body: options.body,
      connectMs: this.timeouts.connectMs,
      answerMs: options.timeoutMs ?? this.timeouts.requestMs,
    });
    const observe = this.observe;
    if (!observe) return call;
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    return call.then(
      (res) => (
        observe(
          res.status >= 500 ? 'server_error' : res.status >= 400 ? 'client_error' : 'ok',
          seconds(),
        ),
        res
      ),
      (err: unknown) => {
        observe('failed', seconds());
        throw err;
      },
    );
  }

  /**
   * A GET whose answer streams for as long as the engine keeps it open (`/events`);
   * headers within the request timeout.
   */
  follow(path: string, query?: Query): OpenCall {
    return streamCall(this.address, this.agent, {
      method: 'GET',
      path: pathWithQuery(path, query),
      connectMs: this.timeouts.connectMs,
      answerMs: this.timeouts.requestMs,
    });
  }

  /**
   * A raw connection for a hijacked exchange (attach, exec start), with the engine's TLS;
   * open within the connect timeout.
   */
  raw(): Promise<net.Socket> {
    return rawConnection(this.address, this.timeouts.connectMs, this.tls);
  }

  /**
   * A connection of its own on which the engine switched protocols (BuildKit's `/grpc`, `h2c`):
   * `headers` are sent as given, repeated names kept. Rejects with UpgradeRefused when the engine
   * answers otherwise.
   */
  async upgrade(path: string, headers: [string, string][]): Promise<net.Socket> {
    const socket = await this.raw();
    const host = this.address.kind === 'unix' ? 'docker' : this.address.addr;
    const lines = [
      `POST /${path} HTTP/1.1`,
      `Host: ${host}`,
      ...headers.map(([name, value]) => `${name}: ${value}`),
    ];
    return upgradeConnection(socket, lines.join('\r\n') + '\r\n\r\n', this.timeouts.requestMs);
  }

  /**
   * Other TLS material (a reload): new connections use it. Pooled ones end when idle, not at once:
   * a call under way on one must finish.
   */
  setTls(tls: TlsMaterial | undefined): void {
    if (JSON.stringify(tls) === JSON.stringify(this.tls)) return;
    this.tls = tls;
    this.agent = engineAgent(this.timeouts.idleMs, tls, this.timeouts.probeMs);
    this.streams = undefined;
  }

  /** Closes idle pooled connections (the node left the cluster). */
  close(): void {
    this.agent.destroy();
  }

  /**
   * A proxied or long-lived streaming call; the caller pipes a body in (for POST/PUT) and reads the
   * response. The response headers must come within the request timeout (or `headersTimeoutMs`,
   * `false` for none); the body may then flow for as long as it lasts.
   */
  async stream(
    method: string,
    path: string,
    options: {
      headers?: Record<string, string>;
      query?: Query;
      search?: string;
      headersTimeoutMs?: number | false;
    } = {},
  ): Promise<Request> {
    const headersMs = options.headersTimeoutMs ?? this.timeouts.requestMs;
    return (await this.http()).stream(path, {
      method: method as 'GET',
      headers: options.headers,
      searchParams: options.search || dropUndefined(options.query),
      timeout:
        headersMs === false
          ? { connect: this.timeouts.connectMs }
          : { connect: this.timeouts.connectMs, response: headersMs },
    });
  }
}
