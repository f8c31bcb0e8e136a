import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * NOT a Docker engine: a loopback HTTP server with a fault shape dockerd cannot be made to produce, for fault
 * tests only. `silent` accepts connections and never answers; `garbage` answers every call at once with 200
 * and a body that is not JSON; `create-fails` looks like an empty, healthy engine whose every create fails (500);
 * `chaotic` looks like that engine but answers every other call with garbage: junk bytes, a cut-off JSON body,
 * a wrong Content-Length, a connection reset, or nothing for a while.
 */
export class FakeEngine {
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly addr: string,
  ) {
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  static async start(mode: 'silent' | 'garbage' | 'create-fails' | 'chaotic'): Promise<FakeEngine> {
    let calls = 0;
    const server = createServer((req, res) => {
      if (mode === 'silent') return; // hold the request open, forever
      if (mode === 'chaotic' && ++calls % 2 === 0) return answerGarbage(calls / 2, req, res);
      if (mode === 'chaotic')
        return answerAsFailingEngine(
          req.method ?? 'GET',
          (req.url ?? '/').replace(/^\/v[\d.]+/, ''),
          res,
        );
      if (mode === 'create-fails')
        return answerAsFailingEngine(
          req.method ?? 'GET',
          (req.url ?? '/').replace(/^\/v[\d.]+/, ''),
          res,
        );
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('}{ this is not what an engine says');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    return new FakeEngine(server, `127.0.0.1:${port}`);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** Just enough of an engine for the manager to count it healthy and empty, with a busybox image; creates fail. */
function answerAsFailingEngine(
  method: string,
  path: string,
  res: import('node:http').ServerResponse,
): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.41' });
    res.end(JSON.stringify(body));
  };
  const route = path.split('?')[0];
  if (route === '/_ping') return void res.end('OK');
  if (route === '/version')
    return json(200, {
      Version: '20.10.0-fake',
      ApiVersion: '1.41',
      MinAPIVersion: '1.12',
      Os: 'linux',
      Arch: 'amd64',
    });
  if (route === '/info')
    return json(200, {
      ID: 'FAKE:FAKE:FAKE',
      Name: 'a-fake-engine',
      NCPU: 2,
      MemTotal: 2 ** 31,
      OSType: 'linux',
      Driver: 'fake',
      SystemTime: new Date().toISOString(),
      Labels: [],
    });
  if (route === '/containers/json' || route === '/networks') return json(200, []);
  // it claims busybox, so a create is sent to it (and fails) rather than turned away for a missing image
  if (route === '/images/json')
    return json(200, [
      {
        Id: `sha256:${'f'.repeat(64)}`,
        RepoTags: ['busybox:latest'],
        RepoDigests: [],
        Created: 0,
        Size: 0,
      },
    ]);
  if (route === '/volumes') return json(200, { Volumes: [], Warnings: null });
  if (route === '/events') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    return void res.flushHeaders(); // an open stream with nothing to say
  }
  if (method === 'POST' && route === '/containers/create')
    return json(500, { message: 'fake engine: this create fails' });
  json(404, { message: 'page not found' });
}

/** One of the ways an answer can be wrong, in turn. */
function answerGarbage(
  turn: number,
  req: import('node:http').IncomingMessage,
  res: import('node:http').ServerResponse,
): void {
  switch (turn % 5) {
    case 0:
      return void req.socket.end(
        Buffer.from([0x00, 0xff, 0x13, 0x37, 0x0d, 0x0a, 0x0d, 0x0a, 0xde, 0xad]),
      );
    case 1:
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '400' });
      return void res.socket?.end('{"ID": "half an ans');
    case 2:
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return void res.end('[{"Id": 12, "Names": "not a list"}, null, "x"]');
    case 3:
      return void req.socket.resetAndDestroy();
    default:
      setTimeout(() => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'), 3000);
  }
}
