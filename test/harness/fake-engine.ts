import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * NOT a Docker engine: a loopback HTTP server with a fault shape dockerd cannot be made to produce, for fault
 * tests only. `silent` accepts connections and never answers; `garbage` answers every call at once with 200
 * and a body that is not JSON.
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

  static async start(mode: 'silent' | 'garbage'): Promise<FakeEngine> {
    const server = createServer((req, res) => {
      if (mode === 'silent') return; // hold the request open, forever
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
