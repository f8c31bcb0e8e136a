import type { Logger } from '../log.js';
import { NotifySocket } from './notify.js';

/** CLOCK_MONOTONIC in microseconds (process.hrtime reads it on Linux), as RELOADING=1 wants it. */
const monotonicUsec = () => (process.hrtime.bigint() / 1000n).toString();

/**
 * The manager as a systemd service (Type=notify, or notify-reload on systemd ≥ 253): READY=1 once
 * it serves, RELOADING=1 ... READY=1 around a SIGHUP, STOPPING=1, a STATUS= line, and the
 * watchdog's ping when the unit has WatchdogSec=. Exists only when NOTIFY_SOCKET is set.
 */
export class SystemdService {
  private watchdog?: NodeJS.Timeout;
  private lastStatus?: string;
  /** READY=1 was sent: before it, a reload is no news to systemd (it still waits for the start). */
  private started = false;

  private constructor(
    private readonly notify: NotifySocket,
    /** Ping every this many ms (half of WATCHDOG_USEC), when the watchdog is on. */
    readonly watchdogMs: number | undefined,
  ) {}

  /**
   * From NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID, then removed from the environment (as
   * sd_notify's unset_environment does) so nothing this process starts notifies as if it were the
   * service; undefined when not run by systemd as Type=notify.
   */
  static fromEnv(
    env: NodeJS.ProcessEnv,
    logger: Logger,
    pid = process.pid,
  ): SystemdService | undefined {
    const { NOTIFY_SOCKET, WATCHDOG_USEC, WATCHDOG_PID } = env;
    delete env.NOTIFY_SOCKET;
    delete env.WATCHDOG_USEC;
    delete env.WATCHDOG_PID;
    if (!NOTIFY_SOCKET) return undefined;
    // sd_watchdog_enabled(3): the watchdog is this process's when WATCHDOG_PID is unset or ours
    const usec = /^\d+$/.test(WATCHDOG_USEC ?? '') ? Number(WATCHDOG_USEC) : 0;
    const ours = WATCHDOG_PID === undefined || Number(WATCHDOG_PID) === pid;
    const watchdogMs = usec > 0 && ours ? Math.max(1, Math.floor(usec / 2000)) : undefined;
    return new SystemdService(new NotifySocket(NOTIFY_SOCKET, logger), watchdogMs);
  }

  /** The listeners serve and the nodes are read; the watchdog's pings start. */
  ready(status: string): Promise<void> {
    this.lastStatus = status;
    this.started = true;
    const sent = this.notify.send({ READY: '1', STATUS: status });
    if (this.watchdogMs && !this.watchdog) {
      this.watchdog = setInterval(() => void this.notify.send({ WATCHDOG: '1' }), this.watchdogMs);
      // the pings prove the event loop turns; they never keep a stopping process alive
      this.watchdog.unref();
    }
    return sent;
  }

  /** A SIGHUP's reload begins; `ready` again when it is done. */
  reloading(): Promise<void> {
    if (!this.started) return Promise.resolve();
    return this.notify.send({
      RELOADING: '1',
      MONOTONIC_USEC: monotonicUsec(),
      STATUS: 'Reloading the configuration',
    });
  }

  /** The reload is over (applied or refused, the manager serves either way). */
  reloaded(status: string): Promise<void> {
    if (!this.started) return Promise.resolve();
    this.lastStatus = status;
    return this.notify.send({ READY: '1', STATUS: status });
  }

  /** Shutting down; settles once systemd has the message. */
  stopping(status: string): Promise<void> {
    return this.notify.send({ STOPPING: '1', STATUS: status });
  }

  /** A new STATUS= line, sent only when it says something new. */
  status(status: string): Promise<void> {
    if (status === this.lastStatus) return Promise.resolve();
    this.lastStatus = status;
    return this.notify.send({ STATUS: status });
  }
}

/** The STATUS= line of a serving manager: `Serving 3 nodes`, and how many are healthy if not all. */
export function servingStatus(cluster: {
  all(): readonly unknown[];
  healthy(): unknown[];
}): string {
  const nodes = cluster.all().length;
  const healthy = cluster.healthy().length;
  return `Serving ${nodes} node${nodes === 1 ? '' : 's'}${healthy < nodes ? `, ${healthy} healthy` : ''}`;
}
