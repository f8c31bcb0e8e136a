import { EventEmitter } from 'node:events';
import type { StoreAccess } from '../discovery/store-access.js';
import type { Logger } from '../log.js';
import type { ManagerRole } from './role.js';

/** A store's leader election, as the manager runs it (etcd's or ZooKeeper's). */
export interface Election extends ManagerRole {
  readonly advertise: string;
  /** Stands for election in the background; the role is known once the store has answered. */
  start(): Promise<void>;
  /** Steps down at once, so another manager leads without waiting for the lease. */
  stop(): Promise<void>;
  /** New TLS material or credentials for the store (SIGHUP), where the store takes them. */
  useAccess?(access: StoreAccess): Promise<void>;
}

/**
 * A role's changes, told to whoever waits and logged once each in classic's words
 * (`Leader Election: Cluster leadership acquired`, `New leader elected: ...`): one for every
 * election, whatever its store.
 */
export class RoleReports {
  private readonly events = new EventEmitter();
  private reported = '';

  constructor(private readonly logger: Logger) {
    this.events.setMaxListeners(0);
  }

  changed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.events.off('change', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.events.on('change', done);
    });
  }

  onChange(listener: () => void): void {
    this.events.on('change', listener);
  }

  /** After anything that may have changed the role or the primary. */
  update(role: ManagerRole): void {
    const primary = role.isPrimary();
    const leader = role.primary();
    const state = primary ? 'primary' : `replica:${leader ?? ''}`;
    if (state === this.reported) return;
    const was = this.reported;
    this.reported = state;
    if (primary) this.logger.info('Leader Election: Cluster leadership acquired');
    else if (was === 'primary') this.logger.info('Leader Election: Cluster leadership lost');
    if (!primary && leader && leader !== role.advertise)
      this.logger.info(`New leader elected: ${leader}`);
    if (!primary && (!leader || leader === role.advertise) && was !== '')
      this.logger.warn(`Leader Election: no primary: ${role.noPrimaryReason()}`);
    this.events.emit('change');
  }
}
