/**
 * Who this manager is among replicated managers: the primary places and reschedules, a replica
 * forwards to it. Without `--replication` a manager is always the primary (`standalone`).
 */
export interface ManagerRole {
  readonly replicated: boolean;
  /** This manager's address for the others (`--advertise`). */
  readonly advertise?: string;
  /**
   * This manager holds a lease as primary right now. Checked on the monotonic clock, so a manager
   * that was frozen past its lease is not primary the moment it resumes, before it has heard from
   * etcd.
   */
  isPrimary(): boolean;
  /**
   * The primary's address while this manager is in touch with etcd (its own lease valid);
   * else undefined.
   */
  primary(): string | undefined;
  /** Why no primary is known, for the message a refused write gets. */
  noPrimaryReason(): string;
  /** Resolves at the next change of role or primary, or after `ms`, whichever is first. */
  changed(ms: number): Promise<void>;
  /** Called at every change of role or primary. */
  onChange(listener: () => void): void;
}

export const standalone: ManagerRole = {
  replicated: false,
  isPrimary: () => true,
  primary: () => undefined,
  noPrimaryReason: () => '',
  changed: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
  onChange: () => {},
};
