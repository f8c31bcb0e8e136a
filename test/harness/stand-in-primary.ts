import { EventEmitter } from 'node:events';
import http, { type IncomingMessage } from 'node:http';
import net from 'node:net';
import { PrimaryForwarder } from '../../core/api/replica.js';
import { rawUpgradeHead } from '../../core/api/upgrades.js';
import type { ManagerRole } from '../../core/replication/role.js';
import { recordingLogger } from './in-process.js';
import { freePort } from './skep.js';

/** A role fixed by the test: what the election would say. */
export function fixedRole(
  advertise: string,
  state: { primary?: string; leading?: boolean },
): ManagerRole {
  const events = new EventEmitter();
  return {
    replicated: true,
    advertise,
    isPrimary: () => state.leading ?? false,
    primary: () => state.primary,
    noPrimaryReason: () => 'etcd has no quorum',
    changed: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    onChange: (listener) => void events.on('change', listener),
  };
}

/** What the stand-in primary received: a request, as its HTTP parser read it. */
export interface Received {
  method: string;
  url: string;
  rawHeaders: string[];
  /** The body (for an upgrade request: what came with its head). */
  body: Buffer;
  upgrade: boolean;
}

/** The value of a header as received, each copy (names compared without case). */
export const valuesOf = (raw: string[], name: string) =>
  raw.filter((_, i) => i % 2 === 1 && raw[i - 1]!.toLowerCase() === name.toLowerCase());

const listening = async (server: net.Server) => {
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return port;
};

/**
 * A small HTTP server standing in for the primary (NOT Skep): it records what a replica forwards,
 * answers `200 answered by the stand-in primary` (or as `answer` says), and accepts upgrades with
 * a 101.
 */
export async function standInPrimary(
  answer?: (req: IncomingMessage, res: http.ServerResponse) => void,
) {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({
        method: req.method!,
        url: req.url!,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        upgrade: false,
      });
      if (answer) return answer(req, res);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('answered by the stand-in primary');
    });
  });
  // the body as the replica framed it, on any Node (see rawUpgradeHead)
  server.on('upgrade', (req: IncomingMessage, socket: net.Socket, parsed: Buffer) => {
    void rawUpgradeHead(req, parsed).then((head) => {
      received.push({
        method: req.method!,
        url: req.url!,
        rawHeaders: req.rawHeaders,
        body: head,
        upgrade: true,
      });
      socket.end('HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\nupgraded');
    });
  });
  const port = await listening(server);
  return {
    addr: `127.0.0.1:${port}`,
    received,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * A stand-in primary that answers every request with the same raw bytes and closes: for answer
 * headers an HTTP server library would not write as given.
 */
export async function rawStandInPrimary(answer: string) {
  const server = net.createServer((socket) => {
    let head = '';
    socket.on('data', (c: Buffer) => {
      head += c.toString('latin1');
      if (head.includes('\r\n\r\n')) socket.end(answer);
    });
    socket.on('error', () => socket.destroy());
  });
  const port = await listening(server);
  return { addr: `127.0.0.1:${port}`, close: () => server.close() };
}

/**
 * A replica's front (or a primary's, with a leading role): the forwarder, and for what is served
 * here a JSON answer naming the client this manager judges the request by.
 */
export async function managerFront(
  role: ManagerRole,
  key: Buffer | undefined,
  here: (req: IncomingMessage, res: http.ServerResponse) => void = (req, res) => {
    req.resume();
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end(`served here: ${req.method} ${req.url}`);
  },
  holdMs = 2000,
) {
  const forwarder = new PrimaryForwarder(role, {
    holdMs,
    key: () => key,
    logger: recordingLogger(),
  });
  const server = http.createServer((req, res) => forwarder.request(req, res, () => here(req, res)));
  // as core/api/server.ts wires it
  server.on('upgrade', (req: IncomingMessage, socket: net.Socket, parsed: Buffer) => {
    void rawUpgradeHead(req, parsed).then((head) =>
      forwarder.upgrade(req, socket, head, () =>
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nserved here'),
      ),
    );
  });
  const port = await listening(server);
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    close: () => {
      forwarder.close();
      server.closeAllConnections();
      server.close();
    },
  };
}
