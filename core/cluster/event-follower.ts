import type { Logger } from '../log.js';
import type { DockerEvent } from './docker-types.js';
import type { EngineClient } from './engine-client.js';
import type { OpenCall } from './engine-http.js';
import { exactTimeNano, readJsonLines } from './event-stream.js';

const MAX_EVENT_BACKOFF_MS = 10_000;

export interface FollowerHandlers {
  /** One event, parsed, as the engine wrote it, and its exact time. */
  event(event: DockerEvent, raw: string, timeNano: bigint): void;
  /**
   * The stream opened (again); `missed` when it had broken,
   * so what it would have said must be read again.
   */
  opened(missed: boolean): void;
  /** The stream could not open, or broke. */
  broke(err: Error): void;
}

/**
 * Follows one engine's `/events`, resuming from the last event seen so a reconnect loses nothing
 * (the first time, from `firstSince`: the engine's clock when its specs were read). A broken stream
 * is opened again after a second per failure in a row, at most ten.
 */
export class EventFollower {
  private stream?: OpenCall;
  private timer?: NodeJS.Timeout;
  private failures = 0;
  private broken = false;
  private stopped = false;
  private lastNano?: bigint;
  private flowing = false;

  constructor(
    private readonly client: EngineClient,
    private readonly logger: Logger,
    private readonly nameOf: () => string,
    private readonly firstSince: () => string | undefined,
    private readonly handlers: FollowerHandlers,
  ) {}

  /** Opens the stream unless it is open (or being opened). */
  follow(): void {
    if (this.stopped || this.stream) return;
    const since =
      this.lastNano !== undefined
        ? `${this.lastNano / 1_000_000_000n}.${(this.lastNano % 1_000_000_000n).toString().padStart(9, '0')}`
        : this.firstSince();
    const call = this.client.follow('events', { since });
    this.stream = call;
    let ended = false;
    const reconnect = (err: Error) => {
      if (ended) return;
      ended = true;
      this.flowing = false;
      call.abort();
      this.stream = undefined;
      if (this.stopped) return;
      this.broken = true;
      this.handlers.broke(err);
      this.failures++;
      this.timer = setTimeout(
        () => this.follow(),
        Math.min(this.failures * 1000, MAX_EVENT_BACKOFF_MS),
      );
    };
    call.response.then((res) => {
      if (res.statusCode !== 200)
        return reconnect(new Error(`events stream answered ${res.statusCode}`));
      this.failures = 0;
      this.flowing = true;
      // a cut link sends nothing: the kernel's probes fail the stream (see LINK_PROBE_MS)
      res.socket.setKeepAlive(true, this.client.timeouts.probeMs);
      const missed = this.broken;
      this.broken = false;
      this.handlers.opened(missed);
      readJsonLines<DockerEvent>(
        res,
        (event, line) => {
          const timeNano = exactTimeNano(line, event.time);
          this.lastNano = timeNano;
          this.handlers.event(event, line, timeNano);
        },
        (line) => this.logger.warn(`node ${this.nameOf()}: bad event line ${line.slice(0, 200)}`),
      );
      res.on('error', (err) => reconnect(err));
      res.on('end', () => reconnect(new Error('events stream closed by the engine')));
      res.on('close', () => reconnect(new Error('events stream closed by the engine')));
    }, reconnect);
  }

  /** The stream is open and read: the engine tells its changes as they happen. */
  get open(): boolean {
    return this.flowing;
  }

  /** Marks what the stream says as needing a full re-read (a re-read is under way). */
  caughtUp(): void {
    this.broken = false;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.stream?.abort();
  }
}
