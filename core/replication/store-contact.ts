import { performance } from 'node:perf_hooks';
import type { Logger } from '../log.js';

const now = () => performance.now();

/**
 * Whether an election's store is known to hold this manager's candidate (etcd's lease,
 * ZooKeeper's session): until a monotonic deadline each renewal moves on. The store's failures
 * are logged once per cause, and its return once after this manager lost touch.
 */
export class StoreContact {
  /** Until when (monotonic ms) this manager's candidate is alive for sure. */
  private validUntil = 0;
  private error?: string;
  /** The failure last logged, until the store answers again after this manager lost touch. */
  private warned?: string;
  private expiry?: NodeJS.Timeout;

  /**
   * @param store its name in the log (`etcd`, `ZooKeeper`)
   * @param addresses where it is, as the log names it
   * @param changed after anything that may have changed the role
   */
  constructor(
    private readonly store: string,
    private readonly addresses: string,
    private readonly logger: Logger,
    private readonly changed: () => void,
  ) {}

  inTouch(): boolean {
    return now() < this.validUntil;
  }

  /** Why the store is out of touch: its last failure (none while in touch, or before one). */
  outOfTouchCause(): string | undefined {
    return this.inTouch() ? undefined : this.error;
  }

  /** The store renewed the candidate: it is alive until `validUntil` (monotonic ms). */
  renewed(validUntil: number): void {
    const wasInTouch = this.inTouch();
    this.validUntil = validUntil;
    this.error = undefined;
    if (!wasInTouch && this.warned) {
      this.logger.info(`Leader Election: ${this.store} answers again`);
      this.warned = undefined;
    }
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => this.changed(), Math.max(0, this.validUntil - now()) + 5);
    this.changed();
  }

  /**
   * Logged once per cause: with one member of three down,
   * every other call may fail and the next succeed.
   */
  failed(message: string): void {
    if (message !== this.warned)
      this.logger.warn(`Leader Election: ${this.store} ${this.addresses}: ${message}`);
    this.warned = message;
    this.error = message;
    this.changed();
  }

  stop(): void {
    clearTimeout(this.expiry);
  }
}
