import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { buffer } from 'node:stream/consumers';

/**
 * An upgrade request's raw socket and the bytes read past its headers,
 * kept until its route takes them.
 */
export interface Upgrade {
  socket: Duplex;
  head: Buffer;
}

const upgrades = new WeakMap<IncomingMessage, Upgrade>();

/** Called by the server's `upgrade` listener before the request runs through the Koa app. */
export function holdUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
  upgrades.set(req, { socket, head });
}

export function isUpgrade(req: IncomingMessage): boolean {
  return upgrades.has(req);
}

/** The upgrade, for the route that relays it (once). */
export function takeUpgrade(req: IncomingMessage): Upgrade | undefined {
  const upgrade = upgrades.get(req);
  upgrades.delete(req);
  return upgrade;
}

/**
 * An upgrade request's body (exec start's `{"Detach":false,"Tty":true}`): its Content-Length
 * bytes, which arrived with the head; they stay in the head too, for the engine.
 * Empty when none came with it.
 */
export function upgradeBody(req: IncomingMessage): Buffer {
  const head = upgrades.get(req)?.head;
  const length = Number(req.headers['content-length'] ?? 0);
  return head && length > 0 && head.length >= length ? head.subarray(0, length) : Buffer.alloc(0);
}

/**
 * The bytes past an upgrade request's headers as the client sent them, its body first. Node up to 24 leaves the
 * body in `head`, unparsed; later Node (nodejs/node#60016) parses it into the request stream and hands on only
 * what follows it. Routes and the replica read the body from the head, so a parsed body is put back in front:
 * as it came when sized by Content-Length, as one chunk and the last when it came chunked.
 */
export async function rawUpgradeHead(req: IncomingMessage, head: Buffer): Promise<Buffer> {
  const sized = Number(req.headers['content-length'] ?? 0) > 0;
  const chunked = /\bchunked\b/i.test(req.headers['transfer-encoding'] ?? '');
  if (!sized && !chunked) return head;
  const body = await buffer(req);
  if (body.length === 0) return head;
  if (!chunked) return Buffer.concat([body, head]);
  const framed = Buffer.from(`${body.length.toString(16)}\r\n`, 'latin1');
  return Buffer.concat([framed, body, Buffer.from('\r\n0\r\n\r\n', 'latin1'), head]);
}
