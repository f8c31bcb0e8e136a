import { EventEmitter } from 'node:events';
import type { Logger } from '../log.js';
import type { NodeHealth } from '../pipeline-types.js';
import { EngineCallError, isConnectionError, NotAnEngineError } from './engine-client.js';

export interface HealthOptions {
  /**
   * Consecutive connection failures before a healthy node is unhealthy (`--engine-failure-retry`).
   */
  failureRetry: number;
  /** Bounds of the jittered safety-net check (`--engine-refresh-min/max-interval`). */
  refreshMinMs: number;
  refreshMaxMs: number;
  logger: Logger;
}

/**
 * What the state machine runs on the engine's behalf;
 * each resolves when the exchange worked, rejects when not.
 */
export interface HealthJobs {
  /**
   * The first contact, and each retry until one works: specs, the container list, the event stream.
   */
  connect(): Promise<void>;
  /** The safety net: one quick exchange that reads everything again only when needed. */
  check(): Promise<void>;
  /** Everything read again (an unhealthy node's probe). */
  resync(): Promise<void>;
  /**
   * The node's event stream is open: it tells what a check would find,
   * and TCP keepalive watches its link.
   */
  following?(): boolean;
}

/**
 * How much rarer the safety-net check is while the node's events flow: 30-60 s becomes 3-6 minutes,
 * so 1,000 idle nodes cost about 4 requests a second, not 22. A killed engine ends its stream at
 * once and a cut link fails the stream's keepalive; what is left for the check is an engine that
 * hangs with its stream open.
 */
export const FOLLOWING_CHECK_FACTOR = 6;

interface HealthEvents {
  /** The node moved from `previous` to the current state. */
  change: [previous: NodeHealth];
}

/** The first connect's retries back off 1 s, 2 s, 4 s... up to the longest refresh interval. */
export const connectDelay = (failures: number, maxMs: number) =>
  Math.min(1000 * 2 ** Math.min(Math.max(failures - 1, 0), 10), maxMs);
/**
 * An unhealthy node is probed again after a second per failure so far,
 * never later than the shortest refresh interval.
 */
export const probeDelay = (failures: number, minMs: number) => Math.min(1000 * failures, minMs);

/**
 * One engine's connection and health: Pending → Healthy ⇄ Unhealthy. Every exchange's outcome
 * is reported through `report`; connection failures count toward unhealthy (`failureRetry` in a
 * row), an engine's error answer does not. An address that answers but is no engine is Unhealthy
 * at once, even before it ever connected. It schedules the jobs: connect with backoff until it
 * works, then the jittered safety-net check, and while unhealthy a sooner probe. Emits `change`
 * (previous) on every move. A pending node's failure is logged at warning level once (later ones
 * at debug), so a node that never connects is not silent, nor a log flood.
 */
export class EngineHealth extends EventEmitter<HealthEvents> {
  state: NodeHealth = 'pending';
  failures = 0;
  /** The last connection failure's message, until an exchange works again. */
  lastError?: string;
  updatedAt?: Date;
  private stopped = false;
  private probing = false;
  /** The pending node's first failure has been logged; the next state change resets it. */
  private toldPending = false;
  private timer?: NodeJS.Timeout;
  // declared before the promise that sets it: a later declaration would reset it to undefined
  private endFirstAttempt!: () => void;
  /** Settles when the first connect attempt has ended, either way. */
  readonly firstAttempt = new Promise<void>((resolve) => (this.endFirstAttempt = resolve));

  constructor(
    private readonly options: HealthOptions,
    private readonly jobs: HealthJobs,
    private readonly nameOf: () => string,
  ) {
    super();
  }

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /**
   * The outcome of one exchange with the engine: nothing (or undefined) when it worked, the error
   * when not. The one way anything counts toward the node's health.
   */
  report(err?: unknown): void {
    if (err === undefined) {
      this.failures = 0;
      this.lastError = undefined;
      this.updatedAt = new Date();
      return this.move('healthy');
    }
    const message = err instanceof Error ? err.message : String(err);
    if (!isConnectionError(err) && err instanceof EngineCallError) {
      this.options.logger.warn(
        `node ${this.nameOf()}: ${message || `the engine answered ${err.status}`}`,
      );
      return;
    }
    this.failures++;
    this.lastError = message;
    if (this.state === 'pending' && !this.toldPending && !(err instanceof NotAnEngineError)) {
      this.toldPending = true;
      this.options.logger.warn(
        `node ${this.nameOf()} cannot be reached yet: ${message} ` +
          `(retrying, at least every ${this.options.refreshMaxMs / 1000}s)`,
      );
    } else this.options.logger.debug(`node ${this.nameOf()}: failure ${this.failures}: ${message}`);
    if (err instanceof NotAnEngineError && this.state === 'pending') this.move('unhealthy');
    if (this.state === 'healthy' && this.failures >= this.options.failureRetry)
      this.move('unhealthy');
    if (this.state === 'unhealthy') this.probeSoon();
  }

  /** Runs an exchange and reports its outcome; true when it worked. */
  async counted(exchange: () => Promise<void>): Promise<boolean> {
    try {
      await exchange();
      this.report();
      return true;
    } catch (err) {
      this.report(err);
      return false;
    }
  }

  private async connect(): Promise<void> {
    try {
      await this.jobs.connect();
      this.report();
      this.scheduleCheck(true);
    } catch (err) {
      this.report(err);
      // an unhealthy node (what answered is no engine) is probed by probeSoon instead
      if (!this.stopped && this.state === 'pending')
        this.timer = setTimeout(
          () => void this.connect(),
          connectDelay(this.failures, this.options.refreshMaxMs),
        );
    } finally {
      this.endFirstAttempt();
    }
  }

  /**
   * The safety net's next check, at a random moment between the min and max intervals; the first
   * one after a connect anywhere up to the max, so nodes that connected together are not checked
   * together.
   */
  private scheduleCheck(first = false): void {
    if (this.stopped) return;
    const { refreshMinMs, refreshMaxMs } = this.options;
    const factor = this.jobs.following?.() ? FOLLOWING_CHECK_FACTOR : 1;
    this.timer = setTimeout(
      async () => {
        // an unhealthy node is probed sooner by probeSoon, which resumes this schedule
        if ((await this.counted(this.jobs.check)) || this.state !== 'unhealthy')
          this.scheduleCheck();
      },
      (first
        ? Math.random() * refreshMaxMs
        : refreshMinMs + Math.random() * (refreshMaxMs - refreshMinMs)) * factor,
    );
  }

  /** While unhealthy, probe sooner than the safety-net interval so the node comes back promptly. */
  private probeSoon(): void {
    if (this.stopped || this.probing) return;
    this.probing = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(
      async () => {
        this.probing = false;
        if (await this.counted(this.jobs.resync)) this.scheduleCheck();
      },
      probeDelay(this.failures, this.options.refreshMinMs),
    );
  }

  private move(next: NodeHealth): void {
    if (this.state === next) return;
    const previous = this.state;
    this.state = next;
    this.toldPending = false;
    this.emit('change', previous);
  }
}
