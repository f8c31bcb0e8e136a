import { execFile } from 'node:child_process';
import type { Logger } from '../log.js';

/** One notify call may take this long (systemd-notify itself gives its barrier 5 s). */
const SEND_TIMEOUT_MS = 10_000;

/**
 * Sends sd_notify(3) messages (`READY=1`, `STATUS=...`) to the service manager's NOTIFY_SOCKET,
 * one at a time and in order (RELOADING=1 must arrive before the READY=1 that ends it).
 *
 * NOTIFY_SOCKET is a unix datagram socket, and Node has none built in (dgram is UDP only, net is
 * streams only). The npm packages that send there, `unix-dgram` and `sd-notify`, are native
 * addons: every install would need a compiler and Node's headers (sd-notify also libsystemd's),
 * for a few messages a minute. So each message is handed to systemd's own `systemd-notify`, which
 * is installed wherever systemd runs services: no dependency, a short process per message. It
 * sends the message as coming from its parent (this process), which systemd credits to the main
 * process where the sender may claim another PID (as root); elsewhere the unit needs
 * `NotifyAccess=all` (contrib/systemd/skep.service has it). By default systemd-notify waits for
 * systemd to have read the message (a barrier), so systemd finds the sender's unit.
 */
export class NotifySocket {
  private queue: Promise<void> = Promise.resolve();
  /** The last message failed: the next failure is not logged again. */
  private failing = false;

  constructor(
    readonly socket: string,
    private readonly logger: Logger,
    private readonly command = 'systemd-notify',
  ) {}

  /** Queues `fields` as one message; settles once sent or given up (never rejects). */
  send(fields: Record<string, string>): Promise<void> {
    // one field a line: a newline inside a value would start a field of its own
    const args = Object.entries(fields).map(
      ([key, value]) => `${key}=${value.replace(/[\n\0]/g, ' ')}`,
    );
    const sent = this.queue.then(() => this.run(args));
    this.queue = sent;
    return sent;
  }

  private run(args: string[]): Promise<void> {
    return new Promise((resolve) => {
      const done = (err: Error | null, stderr = '') => {
        if (err && !this.failing) {
          this.logger.warn(
            `systemd notify: ${args.join(' ')} not sent to ${this.socket}: ` +
              `${stderr.trim() || err.message} (further failures are not logged)`,
          );
        } else if (!err && this.failing) this.logger.info(`systemd notify: sent again`);
        this.failing = err !== null;
        resolve();
      };
      try {
        execFile(
          this.command,
          args,
          { env: { ...process.env, NOTIFY_SOCKET: this.socket }, timeout: SEND_TIMEOUT_MS },
          (err, _stdout, stderr) => done(err, stderr),
        );
      } catch (err) {
        done(err as Error);
      }
    });
  }
}
