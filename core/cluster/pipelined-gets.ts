import type { IncomingHttpHeaders } from 'node:http';
import type net from 'node:net';
import { type BufferedAnswer, TransportError } from './engine-http.js';

/** A response head larger than this is no engine's. */
const MAX_HEAD_BYTES = 64 * 1024;
const HEAD_END = Buffer.from('\r\n\r\n');
const EMPTY = Buffer.alloc(0);

type Mode =
  'head' | 'length' | 'chunk-size' | 'chunk-data' | 'chunk-end' | 'trailers' | 'until-close';

/**
 * Reads HTTP/1.1 responses one after another off one connection (a pipeline): a status line and
 * headers, then a body by Content-Length, chunked, or up to the close. Hands each whole answer to
 * `onAnswer`, in order.
 */
export class AnswerReader {
  private buf: Buffer = EMPTY;
  private mode: Mode = 'head';
  private remaining = 0;
  private head?: { status: number; headers: IncomingHttpHeaders };
  private parts: Buffer[] = [];

  constructor(private readonly onAnswer: (answer: BufferedAnswer) => void) {}

  /** Takes the next bytes of the connection; throws on what is not HTTP. */
  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    while (this.step());
  }

  /**
   * The connection ended: an answer that runs to the close is whole now.
   * True when no answer was cut short.
   */
  end(): boolean {
    if (this.mode === 'until-close' && this.head) {
      this.parts.push(this.buf);
      this.buf = EMPTY;
      this.finish();
    }
    return this.mode === 'head' && this.buf.length === 0;
  }

  /** One step of the parse; false when more bytes are needed. */
  private step(): boolean {
    switch (this.mode) {
      case 'head': {
        const end = this.buf.indexOf(HEAD_END);
        if (end < 0) {
          if (this.buf.length > MAX_HEAD_BYTES)
            throw new Error('an answer head of more than 64 KiB');
          return false;
        }
        this.readHead(this.buf.toString('latin1', 0, end));
        this.buf = this.buf.subarray(end + HEAD_END.length);
        return true;
      }
      case 'length':
      case 'chunk-data': {
        if (this.buf.length === 0 && this.remaining > 0) return false;
        const n = Math.min(this.remaining, this.buf.length);
        this.parts.push(this.buf.subarray(0, n));
        this.buf = this.buf.subarray(n);
        this.remaining -= n;
        if (this.remaining > 0) return false;
        if (this.mode === 'length') this.finish();
        else this.mode = 'chunk-end';
        return true;
      }
      case 'chunk-size': {
        const line = this.line();
        if (line === undefined) return false;
        const size = parseInt(line.split(';')[0]!, 16);
        if (!Number.isFinite(size) || size < 0)
          throw new Error(`a bad chunk size ${JSON.stringify(line.slice(0, 20))}`);
        this.remaining = size;
        this.mode = size === 0 ? 'trailers' : 'chunk-data';
        return true;
      }
      case 'chunk-end': {
        const line = this.line();
        if (line === undefined) return false;
        if (line !== '') throw new Error('a chunk without its line end');
        this.mode = 'chunk-size';
        return true;
      }
      case 'trailers': {
        const line = this.line();
        if (line === undefined) return false;
        if (line === '') this.finish();
        return true;
      }
      case 'until-close':
        return false;
    }
  }

  private line(): string | undefined {
    const at = this.buf.indexOf('\r\n');
    if (at < 0) return undefined;
    const line = this.buf.toString('latin1', 0, at);
    this.buf = this.buf.subarray(at + 2);
    return line;
  }

  private readHead(text: string): void {
    const [statusLine = '', ...lines] = text.split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1];
    if (!status) throw new Error(`not an HTTP answer: ${JSON.stringify(statusLine.slice(0, 40))}`);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const code = Number(status);
    // an interim answer (100 Continue) is followed by the real one
    if (code >= 100 && code < 200) return;
    this.head = { status: code, headers };
    if (code === 204 || code === 304) return this.finish();
    if (/chunked/i.test(headers['transfer-encoding'] ?? '')) this.mode = 'chunk-size';
    else if (headers['content-length'] !== undefined) {
      this.remaining = Number(headers['content-length']);
      if (!Number.isSafeInteger(this.remaining) || this.remaining < 0)
        throw new Error(`a bad Content-Length ${headers['content-length']}`);
      this.mode = 'length';
      if (this.remaining === 0) this.finish();
    } else this.mode = 'until-close';
  }

  private finish(): void {
    const { status, headers } = this.head!;
    const body = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.head = undefined;
    this.parts = [];
    this.mode = 'head';
    this.onAnswer({ status, headers, body });
  }
}

/**
 * GETs sent all at once on a connection of their own and answered in order (HTTP/1.1 pipelining,
 * which dockerd's server reads one request after another): one write and a few reads for a node's
 * whole inventory, where one request per connection turn cost a write and a read each. `each` gets
 * every answer as it comes. Resolves with how many were answered: fewer than asked when the engine
 * closed early (the caller asks for the rest one by one); rejects only when nothing was answered.
 * The connection is closed after the last answer.
 */
export function pipelinedGets(
  socket: net.Socket,
  host: string,
  paths: string[],
  idleMs: number,
  each: (index: number, answer: BufferedAnswer) => void,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let answered = 0;
    let done = false;
    const settle = (err?: Error) => {
      if (done) return;
      done = true;
      socket.destroy();
      if (answered === 0 && err) reject(err);
      else resolve(answered);
    };
    const reader = new AnswerReader((answer) => {
      if (done) return;
      each(answered++, answer);
      if (answered === paths.length) settle();
    });
    socket.setTimeout(idleMs, () =>
      settle(new TransportError('ETIMEDOUT', `Timeout awaiting 'request' for ${idleMs}ms`, true)),
    );
    socket.on('data', (chunk: Buffer) => {
      try {
        reader.push(chunk);
      } catch (err) {
        settle(
          new TransportError(
            'EPROTO',
            `the engine's answer could not be read: ${(err as Error).message}`,
          ),
        );
      }
    });
    socket.on('end', () => {
      reader.end();
      settle(new TransportError('ECONNRESET', 'socket hang up'));
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      settle(new TransportError(err.code ?? 'ECONNRESET', err.message)),
    );
    socket.on('close', () => settle(new TransportError('ECONNRESET', 'socket hang up')));
    const last = paths.length - 1;
    socket.write(
      paths
        .map(
          (path, i) =>
            `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${i === last ? 'Connection: close\r\n' : ''}\r\n`,
        )
        .join(''),
      'latin1',
    );
  });
}
