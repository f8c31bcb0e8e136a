import http, {
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import https from 'node:https';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { TlsMaterial } from '../../config/types.js';
import type { RequestClient } from '../pipeline-types.js';
import { parseEngineAddress } from '../cluster/address.js';
import { engineAgent, rawConnection } from '../cluster/engine-http.js';
import type { Logger } from '../log.js';
import type { ManagerRole } from '../replication/role.js';
import { splice } from './proxy/splice.js';
import {
  adoptForwardedClient,
  clientOfRequest,
  FORWARDED_CLIENT,
  signClient,
} from './forwarded-client.js';
import { endToEnd, upgradeHeaderLines } from './hop-by-hop.js';
import { rawJsonAnswer } from './raw-answer.js';

/**
 * What a replica answers itself, as classic did (`/_ping`, `/info`);
 * matched whole, not by suffix as classic did.
 */
const LOCAL_PATH = /^(?:\/v\d+\.\d+)?\/(?:_ping|info)$/;
/**
 * Marks a forwarded request: a manager that is not primary either answers it rather than
 * forward it on (no loops).
 */
export const FORWARDED_BY = 'X-Skep-Forwarded-By';
/** What this manager sets itself on a forwarded request: a client's own copies are not sent. */
const MARKS = new Set([FORWARDED_BY.toLowerCase(), FORWARDED_CLIENT.toLowerCase()]);
const CONNECT_MS = 2000;
const NO_KEY = "this manager has not read the managers' forwarding key from etcd yet";

export type Decision = { serve: 'here' } | { serve: 'primary'; addr: string } | { serve: 'wait' };

const isRead = (method: string | undefined) => method === 'GET' || method === 'HEAD';
/** The raw header at `i` (a name or its value) is one this manager sets itself. */
const isMark = (raw: string[], i: number) => MARKS.has(raw[i - (i % 2)]!.toLowerCase());

/**
 * Where a request is served: here when this manager is primary (or not replicated), and for
 * `/_ping` and `/info`; at the primary when one is known; else reads here, from this manager's
 * own cache, and writes wait for a primary. A forwarded request is never forwarded again.
 */
export function decide(
  role: ManagerRole,
  method: string | undefined,
  url: string | undefined,
  forwardedBy: unknown,
): Decision {
  if (!role.replicated || role.isPrimary() || LOCAL_PATH.test((url ?? '/').split('?')[0]!))
    return { serve: 'here' };
  const primary = role.primary();
  if (primary && primary !== role.advertise && forwardedBy === undefined)
    return { serve: 'primary', addr: primary };
  return isRead(method) ? { serve: 'here' } : { serve: 'wait' };
}

/**
 * The client's headers as it spelled them, without hop-by-hop ones, marked as forwarded and
 * carrying the client, signed.
 */
function forwardedHeaders(req: IncomingMessage, by: string, client: string): OutgoingHttpHeaders {
  const headers: Record<string, string | string[]> = {};
  const names = new Map<string, string>();
  const raw = endToEnd(req.rawHeaders);
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (MARKS.has(lower)) continue;
    const name = names.get(lower) ?? raw[i]!;
    names.set(lower, name);
    const had = headers[name];
    headers[name] =
      had === undefined ? raw[i + 1]! : [...(Array.isArray(had) ? had : [had]), raw[i + 1]!];
  }
  // this hop's own framing of a chunked body: Node's client chunks a body by itself only for some
  // methods (not DELETE or GET), and a Content-Length the client sent is kept as it is
  if (req.headers['transfer-encoding'] !== undefined) headers['Transfer-Encoding'] = 'chunked';
  headers[FORWARDED_BY] = by;
  headers[FORWARDED_CLIENT] = client;
  return headers;
}

const hasBody = (req: IncomingMessage) =>
  (req.headers['content-length'] !== undefined && req.headers['content-length'] !== '0') ||
  req.headers['transfer-encoding'] !== undefined;

export interface ForwarderOptions {
  /** How long a write waits for a primary (an election, a failover) before it is refused. */
  holdMs: number;
  /**
   * The manager's own certificate, key and CA, presented to the primary
   * when the API is served over TLS.
   */
  tls?: TlsMaterial;
  /**
   * The managers' shared key (core/replication/forwarding-key.ts), once read: it signs the client a
   * replica forwards, and checks the one a replica forwarded here.
   */
  key: () => Buffer | undefined;
  logger: Logger;
}

/**
 * A replica's side of replication (classic's api/replica.go): every request goes to the primary
 * as the client sent it, and the primary's answer comes back as it streams: JSON, streams
 * (logs -f, events, build, pull) and hijacked connections (attach, exec start, run -it) spliced
 * with half-close. A request the primary never received (it died, it is being replaced) is not
 * lost: reads are answered here, writes wait for the next primary.
 */
export class PrimaryForwarder {
  private readonly agent: http.Agent;

  constructor(
    private readonly role: ManagerRole,
    private readonly options: ForwarderOptions,
  ) {
    this.agent = engineAgent(60_000, options.tls);
  }

  close(): void {
    this.agent.destroy();
  }

  /** Serves a request: `here` runs it on this manager, otherwise it is answered by the primary. */
  request(req: IncomingMessage, res: ServerResponse, here: () => void): Promise<void> {
    return this.serve(req, here, (addr) => this.forward(req, res, addr), {
      gone: () => res.destroyed,
      refuse: (status, message) => this.refuse(res, status, message),
    });
  }

  /**
   * An upgrade request (attach, exec start): spliced to the primary once connected,
   * as a replica would.
   */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, here: () => void): Promise<void> {
    const splicing = async (addr: string): Promise<'answered' | Error> => {
      const key = this.options.key();
      if (!key) return new Error(NO_KEY);
      try {
        const upstream = await rawConnection(
          parseEngineAddress(addr),
          CONNECT_MS,
          this.options.tls,
        );
        // the client left while the connection opened: nothing to splice
        if (socket.destroyed) {
          upstream.destroy();
          return 'answered';
        }
        const client = signClient(key, clientOfRequest(req), req.method ?? '', req.url ?? '');
        const lines = [
          `${req.method} ${req.url} HTTP/1.1`,
          ...upgradeHeaderLines(req.rawHeaders.filter((_, i, raw) => !isMark(raw, i))),
          `${FORWARDED_BY}: ${this.role.advertise}`,
          `${FORWARDED_CLIENT}: ${client}`,
        ];
        // one write with what came past the head, as hijack.ts does for engines
        upstream.write(
          Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), head]),
        );
        splice(socket, upstream, this.options.logger, `primary ${addr}`);
        return 'answered';
      } catch (err) {
        return err as Error;
      }
    };
    return this.serve(req, here, splicing, {
      gone: () => socket.destroyed,
      refuse: (code, message) => socket.end(rawJsonAnswer(code, message)),
    });
  }

  /**
   * Until the request is served: here, or by `attempt` at the primary.
   * An attempt that did not reach the primary received nothing: a read is then answered here,
   * a write waits for the next primary (refused after the hold).
   */
  private async serve(
    req: IncomingMessage,
    here: () => void,
    attempt: (addr: string) => Promise<'answered' | Error>,
    client: { gone: () => boolean; refuse: (status: number, message: string) => void },
  ): Promise<void> {
    const deadline = performance.now() + this.options.holdMs;
    let unreached: string | undefined;
    // served here: by the client a replica vouched for, if one did (a client's own header is dropped)
    const serveHere = () =>
      adoptForwardedClient(req, this.options.key()) === 'unverifiable'
        ? client.refuse(503, `Cannot verify the client a replica forwarded: ${NO_KEY}`)
        : here();
    for (;;) {
      const decision = decide(
        this.role,
        req.method,
        req.url,
        req.headers[FORWARDED_BY.toLowerCase()],
      );
      if (decision.serve === 'here') return serveHere();
      if (decision.serve === 'primary') {
        const outcome = await attempt(decision.addr);
        if (outcome === 'answered') return;
        if (isRead(req.method)) return serveHere();
        unreached = `Unable to reach primary cluster manager (${outcome.message}): ${decision.addr}`;
      }
      const left = deadline - performance.now();
      if (left <= 0 || client.gone())
        return unreached ? client.refuse(500, unreached) : client.refuse(503, this.noPrimary());
      await this.role.changed(Math.min(left, 250));
    }
  }

  /**
   * The primary's answer to a GET (`/info` shows the primary's view) asked for `client`,
   * or undefined when it cannot give one.
   */
  async primaryJson(path: string, client: RequestClient): Promise<unknown> {
    const addr = this.role.primary();
    const key = this.options.key();
    if (!addr || addr === this.role.advertise || !key) return undefined;
    const { host, port } = parseEngineAddress(addr);
    return new Promise((resolve) => {
      const req = (this.options.tls ? https : http).request(
        {
          agent: this.agent,
          host,
          port,
          path,
          method: 'GET',
          headers: {
            [FORWARDED_BY]: this.role.advertise ?? '',
            [FORWARDED_CLIENT]: signClient(key, client, 'GET', path),
          },
          timeout: CONNECT_MS,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', () => resolve(undefined));
          res.on('end', () => {
            try {
              resolve(
                res.statusCode === 200
                  ? JSON.parse(Buffer.concat(chunks).toString('utf8'))
                  : undefined,
              );
            } catch {
              resolve(undefined);
            }
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('timed out')));
      req.on('error', () => resolve(undefined));
      req.end();
    });
  }

  private noPrimary(): string {
    return (
      `No elected primary cluster manager (${this.role.noPrimaryReason()}): writes wait for one; ` +
      "reads are answered from this manager's cache"
    );
  }

  private refuse(res: ServerResponse, status: number, message: string): void {
    if (res.headersSent || res.destroyed) return void res.destroy();
    const body = JSON.stringify({ message });
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  /**
   * One attempt at the primary. The body is sent only once the connection is open, so a primary
   * that cannot be reached has received nothing and the request can go to the next one.
   */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    addr: string,
  ): Promise<'answered' | Error> {
    const key = this.options.key();
    if (!key) return Promise.resolve(new Error(NO_KEY));
    const client = signClient(key, clientOfRequest(req), req.method ?? '', req.url ?? '');
    const { host, port } = parseEngineAddress(addr);
    return new Promise((resolve) => {
      let connected = false;
      const upstream = (this.options.tls ? https : http).request({
        agent: this.agent,
        host,
        port,
        method: req.method,
        path: req.url,
        headers: forwardedHeaders(req, this.role.advertise ?? '', client),
        setHost: false,
      });
      upstream.setTimeout(CONNECT_MS, () => {
        if (!connected) upstream.destroy(new Error(`connect timeout after ${CONNECT_MS} ms`));
      });
      upstream.on('socket', (socket) => {
        const send = () => {
          connected = true;
          upstream.setTimeout(0);
          if (hasBody(req)) req.pipe(upstream);
          else upstream.end();
        };
        if (socket.connecting) socket.once(this.options.tls ? 'secureConnect' : 'connect', send);
        else send();
      });
      upstream.on('response', (answer) => {
        // the answer's framing is this hop's own too: Node frames what it relays for this client
        // (chunked, or to the close for an HTTP/1.0 client)
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, endToEnd(answer.rawHeaders));
        // streams (events, logs -f, wait) must show their headers before their first byte
        res.flushHeaders();
        answer.pipe(res);
        answer.on('error', () => res.destroy());
        resolve('answered');
      });
      upstream.on('error', (err) => {
        // before the connection opened, or a read: nothing the primary acted on,
        // so it can be served elsewhere
        if (!connected || (isRead(req.method) && !res.headersSent)) return resolve(err);
        if (!res.headersSent)
          this.refuse(
            res,
            500,
            `Unable to reach primary cluster manager (${err.message}): ${addr}`,
          );
        else res.destroy();
        resolve('answered');
      });
      // the client left: so does the request to the primary (a `logs -f` must not stay open there)
      res.on('close', () => {
        if (!res.writableFinished) upstream.destroy();
      });
    });
  }
}
