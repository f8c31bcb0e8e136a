import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from '../../log.js';

/** Longer than any answer head an engine writes before a hijacked stream. */
const MAX_HEAD = 64 * 1024;

/**
 * How long the stream waits after the answer head for a client that needs them apart. docker-py
 * reads the head through a buffered reader and the stream from the bare socket: bytes that
 * arrive with the head are lost to it. dockerd writes them apart (the head, then the logs it
 * reads); through the manager they come close together.
 */
export const PAUSE_AFTER_HEAD_MS = 25;

/**
 * docker-py (`docker-sdk-python/7.2.0`), whose attach loses what arrives with the answer head
 * (see above).
 */
export const needsHeadApart = (userAgent: string | undefined) =>
  /^docker-sdk-python\//.test(userAgent ?? '');

/**
 * Joins a hijacked client connection to its upstream (an engine, or the primary manager)
 * byte for byte, once the request head has been written upstream. Half-close flows through:
 * the client's end of stdin becomes a FIN upstream, and the upstream's end of output ends the
 * client's side. Once either side is torn down, so is the other.
 *
 * The upstream's answer head (`101 UPGRADED`) reaches the client in a write of its own, before
 * the stream, as dockerd flushes it: docker-py reads the head with an HTTP library that keeps
 * whatever came with it, and then reads the stream from the socket (`attach?logs=1&stream=0`
 * through the manager answered nothing), so for such a client the stream waits
 * `pauseAfterHeadMs` after the head.
 */
export function splice(
  client: Duplex,
  upstream: net.Socket,
  logger: Logger,
  label: string,
  pauseAfterHeadMs = 0,
): void {
  for (const s of [upstream, client as net.Socket]) {
    s.setKeepAlive?.(true, 30_000);
    s.setNoDelay?.(true);
    s.setTimeout?.(0);
  }
  client.pipe(upstream);
  upstream.on('error', (err) => {
    logger.debug(`hijack to ${label}: ${err.message}`);
    client.destroy();
  });
  upstream.on('close', () => client.end());
  let read: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    read = read.length === 0 ? chunk : Buffer.concat([read, chunk]);
    const end = read.indexOf('\r\n\r\n');
    if (end < 0 && read.length < MAX_HEAD) return;
    upstream.removeListener('data', onData);
    upstream.pause();
    const headEnd = end < 0 ? read.length : end + 4;
    const rest = read.subarray(headEnd);
    client.write(read.subarray(0, headEnd), () => {
      const go = () => {
        if (rest.length > 0) client.write(rest);
        upstream.pipe(client);
      };
      if (pauseAfterHeadMs > 0) setTimeout(go, pauseAfterHeadMs);
      else go();
    });
  };
  upstream.on('data', onData);
  // ended before a whole head: what came is passed on as it is
  upstream.once('end', () => {
    if (upstream.listeners('data').includes(onData)) client.end(read);
  });
}
