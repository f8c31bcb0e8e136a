import type net from 'node:net';

/**
 * The older hijack form: a client sends attach or exec start without `Connection: Upgrade`, gets
 * `200 OK` with a raw stream, and then writes stdin on the same connection. Node would parse that
 * stdin as HTTP, so such a request, when it opens a connection (old clients dial a new one to
 * hijack), is marked as an upgrade before Node's parser sees it. The relay drops the marks again,
 * so the engine gets the request as the client sent it and answers in the old form itself.
 */
export const RAW_HIJACK_MARK = 'X-Skep-Raw-Hijack';
const MARK_LINES = `Connection: Upgrade\r\nUpgrade: tcp\r\n${RAW_HIJACK_MARK}: 1\r\n`;
const HIJACK_REQUEST_LINE =
  /^POST \/(?:v\d+\.\d+\/)?(?:containers\/.+\/attach|exec\/[^/]+\/start)(?:\?\S*)? HTTP\/1\.[01]\r\n/;
const MAX_HEAD = 16 * 1024;

/**
 * The request head with the upgrade marks added, or undefined when it is not an old-form hijack.
 */
export function markRawHijack(head: string): string | undefined {
  if (!HIJACK_REQUEST_LINE.test(head) || /\r\nupgrade:/i.test(head)) return undefined;
  const firstLineEnd = head.indexOf('\r\n') + 2;
  return head.slice(0, firstLineEnd) + MARK_LINES + head.slice(firstLineEnd);
}

/**
 * Reads a new connection's first request head, marks it if it is an old-form hijack, then hands
 * the socket on. The head must arrive within `headerTimeoutMs` (Node's own header timer starts
 * only once the socket is handed over, so this one covers the first request): else the client
 * gets a 408 and the connection is closed.
 */
export function sniffConnection(
  socket: net.Socket,
  headerTimeoutMs: number,
  deliver: (socket: net.Socket) => void,
): void {
  let buffered = Buffer.alloc(0);
  const refuse = (answer: string) => {
    clearTimeout(deadline);
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.end(answer);
    socket.destroySoon();
  };
  const deadline = setTimeout(
    () => refuse('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n'),
    headerTimeoutMs,
  );
  socket.once('close', () => clearTimeout(deadline));
  // a client that resets before its head is whole: nothing to answer
  // (the HTTP server handles errors after)
  socket.on('error', () => socket.destroy());
  // The client closed before a whole head came: nothing to serve
  // (and the HTTP server would never see this end).
  const onEnd = () =>
    buffered.length === 0
      ? socket.destroy()
      : refuse('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  const handOver = () => {
    clearTimeout(deadline);
    socket.removeListener('data', onData);
    socket.removeListener('end', onEnd);
    socket.pause();
    const end = buffered.indexOf('\r\n\r\n');
    const marked =
      end >= 0 ? markRawHijack(buffered.subarray(0, end + 4).toString('latin1')) : undefined;
    if (buffered.length > 0)
      socket.unshift(
        marked
          ? Buffer.concat([Buffer.from(marked, 'latin1'), buffered.subarray(end + 4)])
          : buffered,
      );
    deliver(socket);
    process.nextTick(() => socket.resume());
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.indexOf('\r\n\r\n') >= 0 || buffered.length >= MAX_HEAD) handOver();
  };
  socket.on('data', onData);
  socket.once('end', onEnd);
}

/** Headers of a marked request as the client sent them: the marks removed. */
export function unmarkedHeaders(rawHeaders: string[]): string[] {
  const marked = rawHeaders.some(
    (h, i) => i % 2 === 0 && h.toLowerCase() === RAW_HIJACK_MARK.toLowerCase(),
  );
  if (!marked) return rawHeaders;
  const out: string[] = [];
  let droppedConnection = false;
  let droppedUpgrade = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === RAW_HIJACK_MARK.toLowerCase()) continue;
    if (name === 'connection' && rawHeaders[i + 1] === 'Upgrade' && !droppedConnection) {
      droppedConnection = true;
      continue;
    }
    if (name === 'upgrade' && rawHeaders[i + 1] === 'tcp' && !droppedUpgrade) {
      droppedUpgrade = true;
      continue;
    }
    out.push(rawHeaders[i]!, rawHeaders[i + 1]!);
  }
  return out;
}
