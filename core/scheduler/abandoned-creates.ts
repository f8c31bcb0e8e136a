import type { Cluster, ClusterEvent } from '../cluster/cluster.js';
import type { ContainerSummary } from '../cluster/docker-types.js';
import { engineMessage } from '../cluster/engine-client.js';
import type { Engine } from '../cluster/engine.js';
import type { Logger } from '../log.js';
import { type ManagerRole, standalone } from '../replication/role.js';
import { SWARM_LABELS } from '../swarm-labels.js';
import { MemoryNodeRecords, type NodeRecords } from './node-records.js';

/**
 * A record whose container no sweep of its healthy node has found is dropped after this long: an
 * engine makes a container within seconds of reading the request, or never (a paused engine that
 * resumes later is seen to return).
 */
const FORGET_AFTER_MS = 60 * 60_000;

/**
 * Creates given up on a node that may have made them anyway: the engine read the request and its
 * answer never came (killed, or its link cut, mid-create), and the client got its container from
 * another node, or an error. Whatever that node made is a twin no client knows of, and would come
 * back with it. It is known by the swarm ID the create carried, and removed as soon as the node can
 * be asked: at once when it still answers, when it returns, or when its events show the container
 * made late; whatever the client did meanwhile with its copy.
 * The records outlive the manager (a file, or etcd under replication). Only the primary acts.
 */
export class AbandonedCreates {
  /** Per node address, the swarm IDs given up there and when each was recorded. */
  private readonly byNode = new Map<string, Map<string, number>>();
  private readonly sweeping = new Map<string, Promise<void>>();
  /** Nodes to sweep again once their sweep under way ends (a trigger came meanwhile). */
  private readonly again = new Set<string>();

  constructor(
    private readonly cluster: Cluster,
    private readonly logger: Logger,
    private readonly store: NodeRecords = new MemoryNodeRecords(),
    private readonly role: ManagerRole = standalone,
  ) {
    cluster.on('health', (engine: Engine, previous: string) => {
      if (engine.health === 'healthy' && previous !== 'healthy') this.sweep(engine);
    });
    cluster.on('event', ({ engine, event }: ClusterEvent) => {
      const swarmId = event.Actor?.Attributes?.[SWARM_LABELS.id];
      if (swarmId && event.Action === 'create' && this.byNode.get(engine.addr)?.has(swarmId))
        this.sweep(engine);
    });
    role.onChange(() => void this.load());
  }

  /**
   * Takes up the stored records (at start, and when this manager becomes primary)
   * and sweeps their nodes.
   */
  async load(): Promise<void> {
    if (!this.role.isPrimary()) return;
    let stored: Map<string, Set<string>>;
    try {
      stored = await this.store.all();
    } catch (err) {
      this.logger.error(`cannot read the creates given up on nodes: ${(err as Error).message}`);
      return;
    }
    // the store is the truth: another primary may have forgotten records meanwhile
    // (a twin removed, a reschedule)
    const now = Date.now();
    const before = new Map(this.byNode);
    this.byNode.clear();
    for (const [addr, swarmIds] of stored) {
      const kept = new Map(
        [...swarmIds].map((swarmId) => [swarmId, before.get(addr)?.get(swarmId) ?? now] as const),
      );
      this.byNode.set(addr, kept);
      const engine = this.cluster.engines.get(addr);
      if (engine?.health === 'healthy') this.sweep(engine);
    }
  }

  /**
   * A create of `swarmId` on `engine` failed once the engine may have read it:
   * what it made is a twin.
   */
  async record(engine: Engine, swarmId: string): Promise<void> {
    const kept = this.byNode.get(engine.addr) ?? new Map<string, number>();
    this.byNode.set(engine.addr, kept.set(swarmId, Date.now()));
    await this.store
      .add(engine.addr, swarmId)
      .catch((err: Error) =>
        this.logger.error(`cannot record the create given up on ${engine.name}: ${err.message}`),
      );
    if (engine.health === 'healthy') this.sweep(engine);
  }

  /**
   * `swarmId` is being placed on `engine` for real
   * (a reschedule where a create was once given up): no twin there.
   */
  placing(engine: Engine, swarmId: string): void {
    if (this.byNode.get(engine.addr)?.has(swarmId)) this.forget(engine.addr, swarmId);
  }

  private forget(addr: string, swarmId: string): void {
    const kept = this.byNode.get(addr);
    kept?.delete(swarmId);
    if (kept?.size === 0) this.byNode.delete(addr);
    void this.store
      .delete(addr, swarmId)
      .catch((err: Error) =>
        this.logger.error(`cannot forget the create given up on ${addr}: ${err.message}`),
      );
  }

  private sweep(engine: Engine): void {
    if (!this.byNode.has(engine.addr)) return;
    if (this.sweeping.has(engine.addr)) return void this.again.add(engine.addr);
    const run = this.sweepOnce(engine).finally(() => {
      this.sweeping.delete(engine.addr);
      if (this.again.delete(engine.addr)) this.sweep(engine);
    });
    this.sweeping.set(engine.addr, run);
  }

  /**
   * Lists the node's containers that carry a swarm ID
   * and removes those made for creates given up there.
   */
  private async sweepOnce(engine: Engine): Promise<void> {
    const wanted = this.byNode.get(engine.addr);
    if (!wanted || !this.role.isPrimary()) return;
    const listedAt = Date.now();
    let rows: ContainerSummary[];
    try {
      rows = await engine.json<ContainerSummary[]>('containers/json', {
        all: 1,
        filters: JSON.stringify({ label: [SWARM_LABELS.id] }),
      });
    } catch (err) {
      this.logger.warn(
        `cannot list ${engine.name}'s containers to remove those of creates given up there: ${(err as Error).message}`,
      );
      return;
    }
    for (const row of rows) {
      const swarmId = row.Labels?.[SWARM_LABELS.id];
      if (!swarmId || !wanted.has(swarmId)) continue;
      const what = `container ${row.Id.slice(0, 12)} (${(row.Names?.[0] ?? '').replace(/^\//, '')}) on ${engine.name}`;
      const cannot = (why: string) =>
        this.logger.error(`cannot remove ${what}, made for a create given up there: ${why}`);
      let status: number;
      try {
        // v=1: its anonymous volumes are as much a twin as it is;
        // a named volume is never removed with it
        const res = await engine.request('DELETE', `containers/${row.Id}`, {
          query: { force: 1, v: 1 },
        });
        status = res.status;
        if (status >= 300 && status !== 404) {
          cannot(`the engine answered ${status}: ${engineMessage(res.body)}`);
          continue;
        }
      } catch (err) {
        cannot((err as Error).message);
        continue;
      }
      // a 404: removed meanwhile (the rescheduler removes a twin whose copy lives elsewhere too)
      if (status !== 404)
        this.logger.info(`${what} was made for a create given up there; removed it`);
      engine.forgetContainer(row.Id);
      this.forget(engine.addr, swarmId);
    }
    for (const [swarmId, at] of wanted)
      if (listedAt - at > FORGET_AFTER_MS) this.forget(engine.addr, swarmId);
  }
}
