import type { Etcd3 } from 'etcd3';
import {
  type MaintenanceState,
  type MaintenanceStore,
  parseState,
} from '../cluster/maintenance.js';

/**
 * Node maintenance under replication: one JSON value at `<root>skep/nodes`,
 * shared by every manager.
 */
export class EtcdMaintenanceStore implements MaintenanceStore {
  private readonly key: string;

  constructor(
    private readonly client: () => Etcd3,
    root: string,
  ) {
    this.key = `${root}skep/nodes`;
  }

  async load(): Promise<MaintenanceState> {
    const text = await this.client().get(this.key).string();
    return text ? parseState(JSON.parse(text)) : {};
  }

  async save(state: MaintenanceState): Promise<void> {
    await this.client().put(this.key).value(JSON.stringify(state));
  }

  /** A replica follows what the primary saves, so its status page and metrics show it too. */
  async watch(changed: () => void): Promise<() => void> {
    const watcher = await this.client().watch().key(this.key).create();
    watcher.on('put', changed);
    watcher.on('delete', changed);
    // etcd3 re-establishes a broken watch itself; an error is then only a moment without updates
    watcher.on('error', () => {});
    return () => void watcher.cancel().catch(() => {});
  }
}
