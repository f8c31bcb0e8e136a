import type { Readable } from 'node:stream';
import { connectionMessage } from './address.js';
import { versionedPath } from './api-version.js';
import { engineMessage } from './engine-client.js';
import type { Engine } from './engine.js';
import { readJsonLines } from './event-stream.js';

/** One line of an engine's pull (or import) progress stream. */
export interface ProgressLine {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: unknown;
  error?: string;
  errorDetail?: { message?: string };
  [key: string]: unknown;
}

export interface PullOutcome {
  ok: boolean;
  /** The engine's HTTP status (200 when the stream started, even if the pull then failed). */
  status: number;
  /** The engine's error, when the pull failed. */
  message?: string;
}

export interface PullOptions {
  /** `images/create` (pull, import) unless given: `images/load` streams progress the same way. */
  path?: string;
  /** The query string: `fromImage=...&tag=...` or `fromSrc=...`. */
  search: string;
  /** Sent to the engine as they are (`X-Registry-Auth` among them); never logged. */
  headers?: Record<string, string>;
  apiVersion?: string;
  /** The body to send (an import's tar). */
  body?: Readable;
  /** Each progress line, as the engine wrote it. */
  onLine?: (line: ProgressLine) => void;
  /** Called once the engine answered with the headers of a stream (2xx). */
  onStart?: () => void;
}

/**
 * `POST /images/create` (or `/images/load`) on one engine, read to the end. A failure (before the
 * stream or in it) is an outcome, not an exception; the node's image cache is re-read before this
 * resolves.
 */
export async function pullOn(engine: Engine, options: PullOptions): Promise<PullOutcome> {
  const upstream = await engine.stream(
    'POST',
    versionedPath(options.path ?? 'images/create', options.apiVersion, engine.version),
    {
      headers: options.headers,
      search: options.search,
    },
  );
  return new Promise((resolve) => {
    if (options.body) options.body.pipe(upstream);
    else upstream.end();

    let settled = false;
    const finish = (outcome: PullOutcome) => {
      if (settled) return;
      settled = true;
      void engine.refreshImages().then(() => resolve(outcome));
    };
    // a failure to reach the engine counts toward its health (the engine's door does that)
    upstream.once('error', (err: Error) => {
      finish({
        ok: false,
        status: 500,
        message: `${connectionMessage(engine.address)} (node ${engine.name}: ${err.message})`,
      });
    });
    upstream.once('response', (res: { statusCode: number }) => {
      if (res.statusCode >= 300) {
        const chunks: Buffer[] = [];
        upstream.on('data', (c: Buffer) => chunks.push(c));
        upstream.once('end', () =>
          finish({
            ok: false,
            status: res.statusCode,
            message: engineMessage(Buffer.concat(chunks)),
          }),
        );
        return;
      }
      options.onStart?.();
      let error: string | undefined;
      readJsonLines<ProgressLine>(
        upstream,
        (line) => {
          if (line.error || line.errorDetail) error = line.errorDetail?.message ?? line.error;
          options.onLine?.(line);
        },
        () => {},
      );
      upstream.once('end', () =>
        finish(
          error === undefined
            ? { ok: true, status: res.statusCode }
            : { ok: false, status: res.statusCode, message: error },
        ),
      );
    });
  });
}
