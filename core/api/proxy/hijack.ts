import type net from 'node:net';
import type { Context } from 'koa';
import type { Engine } from '../../cluster/engine.js';
import type { Logger } from '../../log.js';
import { unmarkedHeaders } from '../raw-hijack.js';
import { outgoingSearch } from '../request-context.js';
import { pathFor } from './forward.js';
import { takeUpgrade } from '../upgrades.js';
import { needsHeadApart, PAUSE_AFTER_HEAD_MS, splice } from './splice.js';
import { rawJsonAnswer } from '../raw-answer.js';

/** Request headers that describe the client's connection to us, not ours to the engine. */
const HOST_HEADER = /^host$/i;

/**
 * Splices a hijacked connection (attach, exec start) to the engine byte for byte. The client's
 * request is written to the engine as it came (path rewritten), so the engine's own status line
 * (101, or 200 for the older raw-stream form, or an error) reaches the client unchanged
 * (see splice.ts for half-close).
 */
export function relayHijack(ctx: Context, engine: Engine, path: string, logger: Logger): void {
  const upgrade = takeUpgrade(ctx.req);
  if (!upgrade) throw new Error('relayHijack called without an upgraded connection');
  const { socket: client, head } = upgrade;
  ctx.respond = false;
  ctx.res.detachSocket(client as net.Socket);

  const address = engine.address;
  const search = outgoingSearch(ctx);
  const lines = [
    `${ctx.method} /${pathFor(ctx, engine, path)}${search ? `?${search}` : ''} HTTP/1.1`,
  ];
  const raw = unmarkedHeaders(ctx.req.rawHeaders);
  for (let i = 0; i < raw.length; i += 2)
    if (!HOST_HEADER.test(raw[i]!)) lines.push(`${raw[i]}: ${raw[i + 1]}`);
  lines.push(`Host: ${address.kind === 'unix' ? 'docker' : engine.addr}`);
  const requestHead = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1');

  let upstream: net.Socket | undefined;
  // the client gone before the engine answered the connect: nothing to relay
  client.on('error', () => upstream?.destroy());
  client.on('close', () => upstream?.destroy());
  engine.hijack().then(
    (socket) => {
      upstream = socket;
      if (client.destroyed) return void socket.destroy();
      // One write, as the client sent it: dockerd drops bytes that arrive together with the
      // request head (dockerode's attach sends its options as a body),
      // and a separate write would turn them into stdin.
      socket.write(head.length > 0 ? Buffer.concat([requestHead, head]) : requestHead);
      splice(
        client,
        socket,
        logger,
        engine.name,
        needsHeadApart(ctx.get('User-Agent')) ? PAUSE_AFTER_HEAD_MS : 0,
      );
    },
    (err: Error) => {
      client.end(
        rawJsonAnswer(
          500,
          `Node ${engine.name} (${engine.addr}) cannot be reached: ${err.message}`,
        ),
      );
    },
  );
}
