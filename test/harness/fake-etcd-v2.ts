import { createServer as createHttp, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Server } from 'node:net';

/** A request as the stand-in saw it. */
export interface SeenRequest {
  method: string;
  /** The path, decoded, and the query as given. */
  path: string;
  /** The path as sent, not decoded. */
  rawPath: string;
  query: string;
  /** The form body of a PUT. */
  body: string;
  authorization?: string;
}

export interface FakeEtcdV2Options {
  /** Whether `/v2/` is served; without it every v2 path answers `404 page not found` in text. */
  v2?: boolean;
  /** Basic authentication required (etcd's v2 auth with the guest role revoked). */
  auth?: { username: string; password: string };
  /** https, a client certificate required. */
  tls?: { ca: Buffer; cert: Buffer; key: Buffer };
  /** Answers `GET /v2/keys/...` this way instead (a proxy's error page, etcd's own failure). */
  answer?: { status: number; body: string };
}

interface Stored {
  value: string;
  modifiedIndex: number;
}

/**
 * NOT etcd: a loopback stand-in for the few v2 keyspace calls classic swarm's libkv made, in
 * etcd 3.4's shapes (JSON nodes, `errorCode` 100 for a missing key, text 404 where v2 is off), for
 * unit tests. Keys are flat; a directory is every key under its path.
 */
export class FakeEtcdV2 {
  readonly requests: SeenRequest[] = [];
  readonly keys = new Map<string, Stored>();
  private index = 1;
  private waiters: { retry: () => void; res: ServerResponse }[] = [];
  private events: { key: string; action: string; stored: Stored }[] = [];

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(options: FakeEtcdV2Options = {}): Promise<FakeEtcdV2> {
    const made: { fake?: FakeEtcdV2 } = {};
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => made.fake!.handle(req, body, res, options));
    };
    const server = options.tls
      ? createHttps({ ...options.tls, requestCert: true, rejectUnauthorized: true }, handler)
      : createHttp(handler);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    made.fake = new FakeEtcdV2(server, `127.0.0.1:${port}`);
    return made.fake;
  }

  /** Writes a key as another client would (classic's agent), waking the watches. */
  put(key: string, value: string, action = 'set'): void {
    const stored = { value, modifiedIndex: ++this.index };
    this.keys.set(key.replace(/^\/+/, ''), stored);
    this.events.push({ key: key.replace(/^\/+/, ''), action, stored });
    for (const { retry } of this.waiters.splice(0)) retry();
  }

  /** Cuts the connections of the watches waiting, as a member's restart would. */
  cutWaits(): void {
    for (const { res } of this.waiters.splice(0)) res.socket?.destroy();
  }

  /** Event indexes etcd no longer keeps, as after more than 1,000 events. */
  forgetEvents(): void {
    this.events = [];
    this.index += 1000;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      (this.server as unknown as { closeAllConnections(): void }).closeAllConnections();
    });
  }

  private json(res: ServerResponse, status: number, value: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Etcd-Index': this.index });
    res.end(JSON.stringify(value) + '\n');
  }

  private handle(
    req: IncomingMessage,
    body: string,
    res: ServerResponse,
    options: FakeEtcdV2Options,
  ): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = decodeURIComponent(url.pathname);
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      rawPath: url.pathname,
      query: url.search.slice(1),
      body,
      authorization: req.headers.authorization,
    });
    if (options.v2 === false || !path.startsWith('/v2/keys/')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' });
      return void res.end('404 page not found\n');
    }
    if (options.auth) {
      const { username, password } = options.auth;
      const wanted = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      if (req.headers.authorization !== wanted)
        return this.json(res, 401, {
          errorCode: 110,
          message: 'The request requires user authentication',
          cause: 'Insufficient credentials',
          index: 0,
        });
    }
    if (options.answer) {
      res.writeHead(options.answer.status, { 'Content-Type': 'text/html' });
      return void res.end(options.answer.body);
    }
    const key = path.slice('/v2/keys/'.length).replace(/\/+$/, '');
    if (req.method === 'PUT') {
      const form = new URLSearchParams(body);
      const existed = this.keys.has(key);
      this.put(key, form.get('value') ?? '', existed ? 'update' : 'create');
      return this.json(res, existed ? 200 : 201, {
        action: 'set',
        node: { key: `/${key}`, value: form.get('value'), ttl: Number(form.get('ttl')) },
      });
    }
    if (url.searchParams.get('wait') === 'true') return this.wait(key, url, res);
    const under = [...this.keys].filter(([k]) => key === '' || k.startsWith(`${key}/`));
    if (key !== '' && under.length === 0)
      return this.json(res, 404, {
        errorCode: 100,
        message: 'Key not found',
        cause: `/${key}`,
        index: this.index,
      });
    const nodes = under
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, s]) => ({ key: `/${k}`, value: s.value, modifiedIndex: s.modifiedIndex }));
    return this.json(res, 200, { action: 'get', node: { key: `/${key}`, dir: true, nodes } });
  }

  /** A long-poll watch: the first event under `key` from `waitIndex` on, or the next one. */
  private wait(key: string, url: URL, res: ServerResponse): void {
    const from = Number(url.searchParams.get('waitIndex') ?? this.index + 1);
    const oldest = this.events[0]?.stored.modifiedIndex ?? this.index + 1;
    if (from < oldest && from <= this.index)
      return this.json(res, 400, {
        errorCode: 401,
        message: 'The event in requested index is outdated and cleared',
        index: this.index,
      });
    const answer = () => {
      const event = this.events.find(
        (e) => e.stored.modifiedIndex >= from && e.key.startsWith(`${key}/`),
      );
      if (!event) return false;
      const { value, modifiedIndex } = event.stored;
      this.json(res, 200, {
        action: event.action,
        node: { key: `/${event.key}`, value, modifiedIndex },
      });
      return true;
    };
    if (answer()) return;
    const retry = () => {
      if (!answer()) this.waiters.push({ retry, res });
    };
    this.waiters.push({ retry, res });
  }
}
