import { DockerError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Cluster } from './cluster.js';
import type { Engine } from './engine.js';
import { applyChange, type MaintenanceChange, type MaintenanceStore } from './maintenance.js';

/**
 * Node maintenance as operators change it: each change is saved to the store first, then applied
 * to the cluster, one at a time (two updates at once must not lose one). What the store holds is
 * what a restarted manager, or a new primary, starts from.
 */
export class MaintenanceService {
  private queue: Promise<unknown> = Promise.resolve();
  /** Counts the changes made here: the `Version.Index` swarm mode's node objects carry. */
  revision = 1;

  constructor(
    private readonly cluster: Cluster,
    private store: MaintenanceStore,
    private readonly logger: Logger,
  ) {}

  /**
   * Reads the stored state into the cluster;
   * a store that cannot be read leaves every node as it is, and says so.
   */
  async load(): Promise<void> {
    try {
      this.cluster.setMaintenance(await this.store.load());
    } catch (err) {
      this.logger.error(
        `cannot read the node maintenance state: ${(err as Error).message}; nodes keep their current availability`,
      );
    }
  }

  /**
   * Follows a shared store (etcd under replication):
   * what another manager saved is applied here too.
   */
  async follow(): Promise<() => void> {
    if (!this.store.watch) return () => {};
    try {
      return await this.store.watch(() => void this.load());
    } catch (err) {
      this.logger.warn(
        `cannot follow the node maintenance state: ${(err as Error).message}; ` +
          'it is read again when this manager becomes primary',
      );
      return () => {};
    }
  }

  /** Another store from now on (a reload that names another state file): its state is read in. */
  async use(store: MaintenanceStore): Promise<void> {
    this.store = store;
    await this.load();
  }

  update(ref: string, change: MaintenanceChange): Promise<Engine> {
    const run = this.queue.then(() => this.apply(ref, change));
    this.queue = run.catch(() => {});
    return run;
  }

  private async apply(ref: string, change: MaintenanceChange): Promise<Engine> {
    const engine = this.cluster.findNode(ref);
    const next = applyChange(engine.maintenance, change);
    const state = { ...this.cluster.maintenance() };
    if (next.availability === 'active' && Object.keys(next.labels).length === 0)
      delete state[engine.addr];
    else state[engine.addr] = next;
    try {
      await this.store.save(state);
    } catch (err) {
      throw new DockerError(
        500,
        `cannot save the node maintenance state: ${(err as Error).message}; node ${engine.name} is unchanged`,
      );
    }
    const previous = engine.maintenance.availability;
    this.cluster.setMaintenance(state);
    this.revision++;
    const labels = Object.entries(next.labels).map(([k, v]) => `${k}=${v}`);
    this.logger.info(
      `node ${engine.name} (${engine.addr}): availability ${next.availability}` +
        `${previous !== next.availability ? ` (was ${previous})` : ''}, labels [${labels.join(', ')}]`,
      {
        node: engine.name,
      },
    );
    return engine;
  }
}
