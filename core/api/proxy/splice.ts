import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../log.js';

/**
 * Joins a hijacked client connection to its upstream (an engine, or the primary manager) byte for byte, once the
 * request head has been written upstream. Half-close flows through: the client's end of stdin becomes a FIN
 * upstream, and the upstream's end of output ends the client's side. Once either side is torn down, so is the other.
 */
export function splice(client: Duplex, upstream: net.Socket, logger: Logger, label: string): void {
  for (const s of [upstream, client as net.Socket]) {
    s.setKeepAlive?.(true, 30_000);
    s.setNoDelay?.(true);
    s.setTimeout?.(0);
  }
  client.pipe(upstream);
  upstream.pipe(client);
  upstream.on('error', (err) => {
    logger.debug(`hijack to ${label}: ${err.message}`);
    client.destroy();
  });
  upstream.on('close', () => client.end());
}
