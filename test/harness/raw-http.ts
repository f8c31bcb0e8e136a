import net from 'node:net';

/**
 * A raw HTTP exchange on one socket, for what fetch cannot do: hijacked streams. Sends `request`, then
 * each of `writes` after `gapMs`, half-closes when `endAfterWrites`, and collects everything until the
 * server closes or `timeoutMs` passes.
 */
export function rawExchange(
  port: number,
  request: string,
  options: { writes?: string[]; gapMs?: number; endAfterWrites?: boolean; timeoutMs?: number } = {},
): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(Buffer.concat(chunks));
    };
    const timer = setTimeout(done, options.timeoutMs ?? 10_000);
    socket.on('data', (d) => chunks.push(d));
    socket.on('end', done); // the server finished its side
    socket.on('close', done);
    socket.on('error', done);
    socket.on('connect', async () => {
      socket.write(request);
      for (const w of options.writes ?? []) {
        await new Promise((r) => setTimeout(r, options.gapMs ?? 300));
        socket.write(w);
      }
      if (options.endAfterWrites) {
        await new Promise((r) => setTimeout(r, options.gapMs ?? 300));
        socket.end();
      }
    });
  });
}

/** Payloads of Docker's multiplexed stream frames (8-byte header: stream, 0, 0, 0, big-endian size). */
export function demux(data: Buffer): { stream: number; text: string }[] {
  const frames: { stream: number; text: string }[] = [];
  let offset = 0;
  while (offset + 8 <= data.length) {
    const size = data.readUInt32BE(offset + 4);
    frames.push({
      stream: data[offset]!,
      text: data.subarray(offset + 8, offset + 8 + size).toString(),
    });
    offset += 8 + size;
  }
  return frames;
}

/** An HTTP/1.x message as it goes on the wire: the head's lines, the blank line ending it, the body. */
export function httpMessage(head: string[], body = ''): string {
  return `${head.join('\r\n')}\r\n\r\n${body}`;
}
