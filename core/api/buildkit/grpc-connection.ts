import http2, {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type ServerHttp2Stream,
} from 'node:http2';
import type { Duplex } from 'node:stream';
import type { Cluster } from '../../cluster/cluster.js';
import type { Engine } from '../../cluster/engine.js';
import { DockerError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { BuildSessions } from './build-sessions.js';
import {
  frame,
  GRPC,
  grpcFailure,
  mapField,
  MessageReader,
  stringField,
  withoutMapEntries,
} from './grpc-wire.js';
import { h2Socket } from './h2-socket.js';

const { NGHTTP2_CANCEL, NGHTTP2_FLAG_END_STREAM, NGHTTP2_NO_ERROR } = http2.constants;
const CONTROL = '/moby.buildkit.v1.Control/';
const BRIDGE = '/moby.buildkit.v1.frontend.LLBBridge/';
/**
 * How long a call that names a build waits for the solve that places it
 * (the engine waits 3 to 5 s itself).
 */
const WAIT_FOR_SOLVE_MS = 30_000;
/**
 * How long a session waits for a solve that names it;
 * a client closes an unused session when it is done.
 */
const WAIT_FOR_SESSION_USE_MS = 10 * 60_000;
/**
 * The prefix of build args that are placement expressions,
 * as `--build-arg constraint:node==node1` sends them.
 */
const PLACEMENT_ARG = /^build-arg:((?:constraint|affinity):.*)$/;

/** What a client's `/grpc` connection needs of the manager. */
export interface GrpcDeps {
  cluster: Cluster;
  sessions: BuildSessions;
  logger: Logger;
  /**
   * Places a build with these placement expressions (`constraint:node==node1`...) and calls `run`
   * on the engine chosen; the placement holds until what `run` returns settles.
   */
  placeBuild(expressions: string[], run: (engine: Engine) => Promise<void>): Promise<unknown>;
}

/** What a call's first message was, and every byte read of the call so far. */
interface FirstMessage {
  message?: Buffer;
  read: Buffer;
  /** The client ended its side with it (a unary or server-streaming call). */
  ended: boolean;
}

/**
 * Reads a call until its first whole message (or its end); the rest stays in the stream, paused.
 */
function firstMessage(stream: ServerHttp2Stream): Promise<FirstMessage> {
  return new Promise((resolve) => {
    const reader = new MessageReader();
    const chunks: Buffer[] = [];
    const finish = (ended: boolean, message?: Buffer) => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      if (!ended) stream.pause();
      resolve({ message, read: Buffer.concat(chunks), ended });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      const [message] = reader.push(chunk);
      if (message) finish(false, message);
    };
    const onEnd = () => finish(true);
    stream.on('data', onData);
    stream.on('end', onEnd);
  });
}

/**
 * The request headers for the engine: the client's own,
 * its pseudo-headers left to the engine's session.
 */
function upstreamHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':method': 'POST', ':path': headers[':path'] };
  for (const [name, value] of Object.entries(headers)) if (!name.startsWith(':')) out[name] = value;
  return out;
}

const responseHeaders = (headers: IncomingHttpHeaders): OutgoingHttpHeaders => ({ ...headers });

/**
 * One client's `/grpc` connection, with the manager as the HTTP/2 server BuildKit's client
 * expects: each call goes on to the engine it belongs to, over one `/grpc` connection per
 * engine. A solve is placed (the placement pipeline, its `constraint:` build args) and binds its
 * build and sessions to the engine chosen; status, the frontend's calls and the session calls
 * follow them; disk usage and prune ask every healthy engine and merge their answers; anything
 * else goes where this connection's last build went.
 */
export class GrpcConnection {
  private readonly upstreams = new Map<string, Promise<ClientHttp2Session>>();
  /**
   * The engine of this connection's last solve:
   * where calls that name nothing go (history blobs, traces).
   */
  private affinity?: Engine;
  private closed = false;

  constructor(
    socket: Duplex,
    private readonly deps: GrpcDeps,
  ) {
    const server = http2.createServer();
    server.on('session', (session) => {
      session.on('error', () => {});
      session.on('close', () => this.close());
    });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => {});
      deps.logger.debug(`grpc call ${String(headers[':path'])}`);
      stream.once('close', () =>
        deps.logger.debug(`grpc call ${String(headers[':path'])} closed ${stream.rstCode}`),
      );
      this.route(stream, headers).catch((err: Error) =>
        grpcFailure(stream, GRPC.UNAVAILABLE, err.message),
      );
    });
    server.emit('connection', h2Socket(socket));
  }

  /**
   * The client is gone: so are the connections to engines,
   * and with them every call under way there.
   */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const session of this.upstreams.values())
      session.then(
        (s) => s.destroy(),
        () => {},
      );
    this.upstreams.clear();
  }

  private async route(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const path = String(headers[':path'] ?? '');
    const gone = new AbortController();
    stream.once('close', () => gone.abort());
    switch (path) {
      case `${CONTROL}Solve`:
        return this.solve(stream, headers);
      case `${CONTROL}Status`:
        return this.byBuild(stream, headers, 1, gone.signal);
      case `${CONTROL}Session`: {
        // a session of the client's, on this connection (bake's shared ones):
        // it goes where its solve went
        const id = String(headers['x-docker-expose-session-uuid'] ?? '');
        const engine =
          (await this.deps.sessions.sessions.wait(id, WAIT_FOR_SESSION_USE_MS, gone.signal)) ??
          this.fallback();
        return this.relay(stream, headers, engine, { read: Buffer.alloc(0), ended: false });
      }
      case `${CONTROL}DiskUsage`:
        return this.everywhere(stream, headers, 'one answer');
      case `${CONTROL}Prune`:
        return this.everywhere(stream, headers, 'stream');
      case `${CONTROL}ListenBuildHistory`:
        return this.byBuildOrEverywhere(stream, headers, 2);
      case `${CONTROL}UpdateBuildHistory`:
        return this.byBuildOrEverywhere(stream, headers, 1);
    }
    if (path.startsWith(BRIDGE)) {
      // the frontend's calls name their build in a header
      const ref = String(headers['buildkit-controlapi-buildid'] ?? '');
      const engine =
        (await this.deps.sessions.builds.wait(ref, WAIT_FOR_SOLVE_MS, gone.signal)) ??
        this.fallback();
      return this.relay(stream, headers, engine, { read: Buffer.alloc(0), ended: false });
    }
    return this.relay(stream, headers, this.affinity ?? this.fallback(), {
      read: Buffer.alloc(0),
      ended: false,
    });
  }

  /** An engine for calls bound to nothing yet: the first healthy one. */
  private fallback(): Engine {
    const engine = this.deps.cluster.healthy()[0];
    if (!engine) throw new DockerError(503, 'No healthy node available in the cluster');
    return engine;
  }

  /**
   * A build: placed with the placement expressions among its build args
   * (taken out of what the engine gets), or sent where its session already is. Its build, session
   * and shared sessions are bound to that engine, the placement is held until the call ends
   * (the client cancelling included), and the images it made are read into the cache before the
   * client hears that it is done.
   */
  private async solve(stream: ServerHttp2Stream, headers: IncomingHttpHeaders): Promise<void> {
    const first = await firstMessage(stream);
    if (!first.message)
      return grpcFailure(stream, GRPC.UNKNOWN, 'the solve request had no message');
    const { message } = first;
    const ref = stringField(message, 1);
    const session = stringField(message, 5);
    const attrs = mapField(message, 7);
    const expressions = [...attrs].flatMap(([key, value]) => {
      const name = PLACEMENT_ARG.exec(key)?.[1];
      return name ? [value === '' ? name : `${name}=${value}`] : [];
    });
    // the engine gets the solve without them,
    // as the legacy builder's build args are sent without them
    const rest = first.read.subarray(5 + message.length);
    const read = expressions.length
      ? Buffer.concat([
          frame(withoutMapEntries(message, 7, (key) => PLACEMENT_ARG.test(key))),
          rest,
        ])
      : first.read;
    const shared = [...attrs]
      .filter(([key]) => key.startsWith('local-sessionid:'))
      .map(([, id]) => id);
    const bind = (engine: Engine) => {
      this.affinity = engine;
      if (ref) this.deps.sessions.builds.bind(ref, engine);
      for (const id of [session, ...shared]) if (id) this.deps.sessions.sessions.bind(id, engine);
    };
    const run = (engine: Engine) => {
      bind(engine);
      return this.relay(stream, headers, engine, { read, ended: first.ended }, () =>
        engine.refreshImages(),
      ).catch((err: Error) => grpcFailure(stream, GRPC.UNAVAILABLE, err.message));
    };
    const placed =
      (session && this.deps.sessions.sessions.get(session)) ||
      (ref && this.deps.sessions.builds.get(ref));
    if (placed) return run(placed);
    try {
      await this.deps.placeBuild(expressions, run);
    } catch (err) {
      grpcFailure(stream, GRPC.UNKNOWN, (err as Error).message);
      // nothing of this build will run: its session and calls, waiting for a node,
      // go to any (or fail) and end
      const any = this.deps.cluster.healthy()[0];
      if (any) bind(any);
      else {
        this.deps.sessions.builds.abandon(ref);
        for (const id of [session, ...shared]) this.deps.sessions.sessions.abandon(id);
      }
    }
  }

  /** A call that names its build in field `field` of its message: it goes where the build went. */
  private async byBuild(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    field: number,
    gone: AbortSignal,
  ): Promise<void> {
    const first = await firstMessage(stream);
    const ref = first.message ? stringField(first.message, field) : '';
    const engine =
      (ref && (await this.deps.sessions.builds.wait(ref, WAIT_FOR_SOLVE_MS, gone))) ||
      this.affinity ||
      this.fallback();
    return this.relay(stream, headers, engine, first);
  }

  /** Build history: one build's where it was made, every build's from every healthy engine. */
  private async byBuildOrEverywhere(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    field: number,
  ): Promise<void> {
    const first = await firstMessage(stream);
    const ref = first.message ? stringField(first.message, field) : '';
    const engine = ref ? this.deps.sessions.builds.get(ref) : undefined;
    if (engine) return this.relay(stream, headers, engine, first);
    return this.everywhere(stream, headers, 'stream', first);
  }

  /** This connection's `/grpc` connection to an engine, made on first use. */
  private upstream(engine: Engine): Promise<ClientHttp2Session> {
    let session = this.upstreams.get(engine.addr);
    if (!session) {
      const opened = engine.upgrade('grpc', [
        ['Content-Length', '0'],
        ['Connection', 'Upgrade'],
        ['Upgrade', 'h2c'],
      ]);
      session = opened.then(
        (socket) => {
          const h2 = http2.connect(`http://${engine.addr.replace(/^unix:\/\//, 'docker')}`, {
            createConnection: () => h2Socket(socket),
          });
          h2.on('error', () => {});
          h2.on(
            'close',
            () => this.upstreams.get(engine.addr) === session && this.upstreams.delete(engine.addr),
          );
          if (this.closed) h2.destroy();
          return h2;
        },
        (err: unknown) => {
          this.upstreams.delete(engine.addr);
          throw new Error(
            `node ${engine.name} (${engine.addr}) cannot build with BuildKit: ${(err as Error).message}`,
          );
        },
      );
      this.upstreams.set(engine.addr, session);
    }
    return session;
  }

  /**
   * One call sent on to one engine: what was read of it first, then the rest as it comes;
   * the answer back with its trailers.
   * `beforeEnd` runs before the client hears the call ended well. Settles when the call is over.
   */
  private async relay(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    engine: Engine,
    first: Omit<FirstMessage, 'message'>,
    beforeEnd?: () => Promise<void>,
  ): Promise<void> {
    if (stream.closed) return;
    const session = await this.upstream(engine);
    const upstream = session.request(upstreamHeaders(headers), { endStream: false });
    upstream.on('error', () => {});
    if (first.read.length > 0) upstream.write(first.read);
    if (first.ended) upstream.end();
    else stream.pipe(upstream);
    let trailers: OutgoingHttpHeaders | undefined;
    upstream.on('trailers', (t) => (trailers = responseHeaders(t)));
    upstream.on('response', (answer, flags) => {
      if (stream.closed || stream.destroyed) return;
      if (flags & NGHTTP2_FLAG_END_STREAM)
        return void stream.respond(responseHeaders(answer), { endStream: true });
      stream.respond(responseHeaders(answer), { waitForTrailers: true });
      stream.once('wantTrailers', () =>
        stream.sendTrailers(
          trailers ?? {
            'grpc-status': String(GRPC.UNKNOWN),
            'grpc-message': 'the engine sent no status',
          },
        ),
      );
      upstream.pipe(stream, { end: false });
      upstream.once('end', () => {
        const ok = trailers?.['grpc-status'] === '0';
        void (ok && beforeEnd ? beforeEnd().catch(() => {}) : Promise.resolve()).then(() =>
          stream.end(),
        );
      });
    });
    return new Promise<void>((resolve) => {
      // either side gone: the other is told (a client's Ctrl-C cancels the build on the engine)
      stream.once('close', () => {
        if (!upstream.closed) upstream.close(stream.rstCode || NGHTTP2_CANCEL);
        resolve();
      });
      upstream.once('close', () => {
        if (stream.closed) return;
        if (!stream.headersSent)
          grpcFailure(
            stream,
            GRPC.UNAVAILABLE,
            `node ${engine.name} (${engine.addr}) ended the call: ${upstream.rstCode}`,
          );
        else if (upstream.rstCode !== NGHTTP2_NO_ERROR) stream.close(upstream.rstCode);
      });
    });
  }

  /**
   * A call every healthy engine answers (disk usage, prune, history): the same request to each,
   * their messages passed on as they come (`stream`) or made one (`one answer`: protobuf messages
   * concatenated are merged, their repeated fields joined). An engine that lacks the call is left
   * out; the status is the first failure when every engine failed.
   */
  private async everywhere(
    stream: ServerHttp2Stream,
    headers: IncomingHttpHeaders,
    mode: 'stream' | 'one answer',
    read?: FirstMessage,
  ): Promise<void> {
    const first = read ?? (await firstMessage(stream));
    // these calls send one request message: it is the whole request
    // (the client may end its side only later)
    const request = first.read;
    const engines = this.deps.cluster.healthy();
    stream.respond(
      { ':status': 200, 'content-type': 'application/grpc' },
      { waitForTrailers: true },
    );
    const collected: Buffer[] = [];
    const outcomes = await Promise.all(
      engines.map(async (engine): Promise<{ code: string; message: string }> => {
        let upstream: ClientHttp2Stream;
        try {
          upstream = (await this.upstream(engine)).request(upstreamHeaders(headers));
        } catch (err) {
          return { code: String(GRPC.UNAVAILABLE), message: (err as Error).message };
        }
        stream.once('close', () => !upstream.closed && upstream.close(NGHTTP2_CANCEL));
        upstream.end(request);
        const reader = new MessageReader();
        return new Promise((resolve) => {
          let status: { code: string; message: string } = {
            code: String(GRPC.UNKNOWN),
            message: `node ${engine.name} ended the call`,
          };
          const statusOf = (h: IncomingHttpHeaders) => {
            if (h['grpc-status'] !== undefined)
              status = {
                code: String(h['grpc-status']),
                message: decodeURIComponent(String(h['grpc-message'] ?? '')),
              };
          };
          upstream.on('response', statusOf);
          upstream.on('trailers', statusOf);
          upstream.on('data', (chunk: Buffer) => {
            for (const message of reader.push(chunk)) {
              if (mode === 'stream') stream.write(frame(message));
              else collected.push(message);
            }
          });
          upstream.on('error', () => {});
          upstream.on('close', () => resolve(status));
        });
      }),
    );
    if (stream.closed) return;
    if (mode === 'one answer') stream.write(frame(Buffer.concat(collected)));
    const answered = outcomes.filter((o) => o.code === '0');
    const failure =
      outcomes.find((o) => o.code !== '0' && o.code !== String(GRPC.UNIMPLEMENTED)) ?? outcomes[0];
    const status = answered.length > 0 || !failure ? { code: '0', message: '' } : failure;
    stream.once('wantTrailers', () =>
      stream.sendTrailers({
        'grpc-status': status.code,
        ...(status.message ? { 'grpc-message': encodeURIComponent(status.message) } : {}),
      }),
    );
    stream.end();
  }
}
