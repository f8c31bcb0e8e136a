import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

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
