import type { Cluster } from '../cluster/cluster.js';
import type { ContainerInspect, ContainerSummary } from '../cluster/docker-types.js';
import type { Engine } from '../cluster/engine.js';
import type { Logger } from '../log.js';
import type { RequestContext } from '../pipeline-types.js';
import { SWARM_LABELS } from '../swarm-labels.js';
import type { ContainerCreator } from './container-creator.js';
import { type ManagerRole, standalone } from '../replication/role.js';
import { MemoryNodeRecords, type NodeRecords } from './node-records.js';
import { recreateBody, wantsReschedule } from './reschedule-policy.js';
import type { NodeMaintenance } from '../cluster/maintenance.js';
import { noTelemetry, type Telemetry } from '../telemetry.js';

/** Each rescheduled create's own request context: plugins keep per-request state in it. */
const rescheduleContext = (): RequestContext => ({
  route: 'skep.reschedule',
  method: 'POST',
  path: '/containers/create',
  url: '/containers/create',
  query: {},
  headers: {},
  state: {},
  readBody: async () => Buffer.alloc(0),
});

/**
 * Classic swarm's rescheduling: when a node fails, each of its containers with the policy is
 * created again (same name, same config, same swarm ID) on a node the scheduler picks, and started
 * if it was running. When the failed node returns, a container there whose swarm ID now lives on
 * another node is a stale copy and is removed, so each container exists once (classic's
 * removeDuplicateContainers). Beyond classic: the originals it moved are remembered, so one whose
 * copy a client has removed since is removed too, rather than coming back.
 */
export class Rescheduler {
  /**
   * Per failed node: its evacuation under way.
   * A node that returns meanwhile is cleaned up once it has ended.
   */
  private readonly evacuating = new Map<string, Promise<void>>();
  private wasPrimary: boolean;

  /**
   * Only the primary acts (classic 1.2.0's rule). `moved` records, per failed node, the containers
   * moved off it until the node returns; it is kept in a file, or in etcd under replication, so a
   * restarted manager or a new primary goes on where the last one stopped.
   */
  constructor(
    private readonly cluster: Cluster,
    private readonly containers: ContainerCreator,
    private readonly logger: Logger,
    private readonly role: ManagerRole = standalone,
    private readonly moved: NodeRecords = new MemoryNodeRecords(),
    private readonly telemetry: Telemetry = noTelemetry,
  ) {
    this.wasPrimary = role.isPrimary();
    cluster.on('health', (engine: Engine, previous: string) => {
      if (!role.isPrimary()) return;
      if (engine.health === 'unhealthy' && previous === 'healthy') this.startEvacuation(engine);
      // a node that returns: its copies of rescheduled containers are stale (classic's rule).
      // A node seen for the first time (a restarted manager): only a stopped copy of a container
      // that runs elsewhere is.
      if (engine.health === 'healthy' && previous !== 'healthy')
        void this.removeDuplicates(engine, previous === 'pending');
      // a drained node seen again (a restarted manager, a node back up):
      // what the drain had not moved yet moves now
      if (engine.health === 'healthy' && engine.maintenance.availability === 'drain')
        this.startDrain(engine);
    });
    // `swarm node update --availability drain`:
    // what has the policy moves off the node, which stays up
    cluster.on('maintenance', (engine: Engine, previous: NodeMaintenance) => {
      if (
        role.isPrimary() &&
        engine.maintenance.availability === 'drain' &&
        previous.availability !== 'drain'
      )
        this.startDrain(engine);
    });
    role.onChange(() => {
      const primary = role.isPrimary();
      if (primary && !this.wasPrimary) void this.takeOver();
      this.wasPrimary = primary;
    });
  }

  private startDrain(engine: Engine): void {
    if (this.evacuating.has(engine.addr) || engine.health !== 'healthy') return;
    this.evacuating.set(
      engine.addr,
      this.drain(engine).finally(() => this.evacuating.delete(engine.addr)),
    );
  }

  private startEvacuation(engine: Engine): void {
    if (this.evacuating.has(engine.addr)) return;
    this.evacuating.set(
      engine.addr,
      this.evacuate(engine).finally(() => this.evacuating.delete(engine.addr)),
    );
  }

  /**
   * A new primary goes on with what nobody did while there was none, or what the old one left half
   * done: nodes that failed are evacuated, and nodes that returned since containers were moved off
   * them are cleaned.
   */
  private async takeOver(): Promise<void> {
    for (const engine of this.cluster.all()) {
      if (engine.health === 'unhealthy') this.startEvacuation(engine);
      else if (engine.maintenance.availability === 'drain') this.startDrain(engine);
    }
    let nodes: string[] = [];
    try {
      nodes = [...(await this.moved.all()).keys()];
    } catch (err) {
      this.logger.error(
        `cannot read what was rescheduled before this manager became primary: ${(err as Error).message}`,
      );
    }
    for (const addr of nodes) {
      const engine = this.cluster.engines.get(addr);
      if (engine?.health === 'healthy') void this.removeDuplicates(engine, false);
    }
  }

  private async evacuate(failed: Engine): Promise<void> {
    const moving = [...failed.containers.values()].filter((c) => wantsReschedule(c.inspect));
    // moved off this node already, by an earlier primary: its copy may be gone since (a client
    // removed it), which must not make it again
    const done = await this.movedOff(failed);
    for (const { inspect } of moving) {
      // the node is back: what is still on it stays there; and only a primary moves anything
      if (failed.health === 'healthy' || !this.role.isPrimary()) break;
      const name = inspect.Name.replace(/^\//, '');
      const swarmId = inspect.Config?.Labels?.[SWARM_LABELS.id];
      const copy = swarmId
        ? this.cluster.withSwarmId(swarmId).find((l) => l.engine !== failed)
        : undefined;
      // out of the failed node's view first:
      // the name is free again, and its copy is not listed twice
      failed.forgetContainer(inspect.Id);
      if (done.has(inspect.Id)) continue;
      // moved already, by a primary that died before it could record it:
      // only the record is left to make
      if (copy) {
        await this.moved
          .add(failed.addr, inspect.Id)
          .catch((err: Error) =>
            this.logger.error(`cannot record ${name} as moved: ${err.message}`),
          );
        continue;
      }
      try {
        const outcome = await this.recreate(inspect, name);
        this.logger.info(
          `Rescheduled container ${inspect.Id.slice(0, 12)} (${name}) from ${failed.name} ` +
            `to ${outcome.engine.name} as ${outcome.id.slice(0, 12)}`,
        );
        await this.moved
          .add(failed.addr, inspect.Id)
          .catch((err: Error) =>
            this.logger.error(`cannot record ${name} as moved: ${err.message}`),
          );
        this.cluster.announce(outcome.engine, 'container_reschedule', {
          container: outcome.id,
          name,
          'from.node': failed.name,
          'from.container': inspect.Id,
        });
        this.telemetry.reschedule('moved');
      } catch (err) {
        this.logger.error(
          `cannot reschedule ${name} from ${failed.name}: ${(err as Error).message}`,
        );
        this.telemetry.reschedule('failed');
      }
    }
  }

  /** The containers recorded as moved off `failed` (none when the record cannot be read). */
  private async movedOff(failed: Engine): Promise<Set<string>> {
    try {
      return (await this.moved.all()).get(failed.addr) ?? new Set();
    } catch (err) {
      this.logger.error(
        `cannot read what was moved off ${failed.name} before: ${(err as Error).message}`,
      );
      return new Set();
    }
  }

  /**
   * The copy of a container elsewhere (same name, config and swarm ID),
   * started if the original ran.
   */
  private async recreate(inspect: ContainerInspect, name: string) {
    const outcome = await this.containers.create(
      { name, config: recreateBody(inspect), query: {} },
      { ...rescheduleContext(), logger: this.logger },
      {},
      'reschedule',
    );
    if (inspect.State.Running) {
      await outcome.engine.request('POST', `containers/${outcome.id}/start`);
      await outcome.engine.refreshContainer(outcome.id);
    }
    return { id: outcome.id, engine: outcome.engine };
  }

  /**
   * A drained node is up: each container with the policy is renamed aside (its name is then free),
   * made again elsewhere, and only then removed. A copy that cannot be made leaves the original
   * where it was, named back.
   */
  private async drain(node: Engine): Promise<void> {
    const moving = [...node.containers.values()].filter((c) => wantsReschedule(c.inspect));
    for (const { inspect } of moving) {
      if (
        node.maintenance.availability !== 'drain' ||
        node.health !== 'healthy' ||
        !this.role.isPrimary()
      )
        break;
      const name = inspect.Name.replace(/^\//, '');
      const id = inspect.Id;
      const swarmId = inspect.Config?.Labels?.[SWARM_LABELS.id];
      // a drain cut short (a manager restarted) made the copy already:
      // only the original is left to remove
      const made = swarmId
        ? this.cluster.withSwarmId(swarmId).find((l) => l.engine !== node)
        : undefined;
      if (made) {
        await this.removeOriginal(node, id, `its copy runs on ${made.engine.name}`);
        continue;
      }
      const rename = async (to: string) => {
        const res = await node.request('POST', `containers/${id}/rename`, { query: { name: to } });
        if (res.status >= 300)
          throw new Error(
            `renaming it to ${to}: the engine answered ${res.status}: ${res.body.toString('utf8').trim()}`,
          );
        await node.refreshContainer(id);
      };
      try {
        await rename(`${name}-drained-${id.slice(0, 12)}`);
      } catch (err) {
        this.logger.error(`cannot drain ${name} from ${node.name}: ${(err as Error).message}`, {
          node: node.name,
          container: id,
        });
        this.telemetry.reschedule('failed');
        continue;
      }
      let copy: { id: string; engine: Engine };
      try {
        copy = await this.recreate(inspect, name);
      } catch (err) {
        this.logger.error(
          `cannot drain ${name} from ${node.name}: ${(err as Error).message}; it stays there`,
          { node: node.name, container: id },
        );
        this.telemetry.reschedule('failed');
        await rename(name).catch((e: Error) =>
          this.logger.error(
            `cannot name ${id.slice(0, 12)} on ${node.name} back to ${name}: ${e.message}`,
          ),
        );
        continue;
      }
      await this.removeOriginal(node, id, `drained to ${copy.engine.name}`);
      this.logger.info(
        `Drained container ${id.slice(0, 12)} (${name}) from ${node.name} ` +
          `to ${copy.engine.name} as ${copy.id.slice(0, 12)}`,
        { node: node.name, container: copy.id },
      );
      this.cluster.announce(copy.engine, 'container_reschedule', {
        container: copy.id,
        name,
        'from.node': node.name,
        'from.container': id,
      });
      this.telemetry.reschedule('moved');
    }
  }

  /** The original of a drained container, once its copy runs elsewhere. */
  private async removeOriginal(node: Engine, id: string, why: string): Promise<void> {
    const res = await node
      .request('DELETE', `containers/${id}`, { query: { force: 1, v: 0 } })
      .catch((err: Error) => ({ status: 0, error: err.message }));
    if (res.status > 0 && (res.status < 300 || res.status === 404)) node.forgetContainer(id);
    else
      this.logger.error(
        `${why}, but cannot remove the original ${id.slice(0, 12)} from ${node.name}: ` +
          `${'error' in res ? res.error : `the engine answered ${res.status}`}`,
        {
          node: node.name,
          container: id,
        },
      );
  }

  private async removeDuplicates(returned: Engine, onlyStopped: boolean): Promise<void> {
    // copies still being made when the node returned are only then elsewhere
    await this.evacuating.get(returned.addr);
    let rows: ContainerSummary[] | undefined;
    // a returning node's list from the engine itself (the cache forgot the copies rescheduled
    // away); a node seen for the first time was just listed into the cache, which costs no
    // request. An engine just back may stumble.
    for (let attempt = 1; !rows; attempt++) {
      try {
        rows = onlyStopped
          ? [...returned.containers.values()].map((c) => c.summary)
          : await returned.json<ContainerSummary[]>('containers/json', { all: 1 });
      } catch (err) {
        if (attempt === 3 || returned.health !== 'healthy') {
          this.logger.warn(
            `cannot list ${returned.name}'s containers to remove rescheduled copies: ${(err as Error).message}`,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
    // an engine that answers something else than a list (a broken or impostor engine) is not read
    if (!Array.isArray(rows)) {
      this.logger.warn(
        `cannot list ${returned.name}'s containers to remove rescheduled copies: the engine's answer is not a list`,
      );
      return;
    }
    let moved: Set<string>;
    try {
      moved = await this.moved.take(returned.addr);
    } catch (err) {
      this.logger.error(
        `cannot read what was moved off ${returned.name}: ${(err as Error).message}`,
      );
      moved = new Set();
    }
    for (const row of rows) {
      if (typeof row !== 'object' || row === null) continue;
      const swarmId = row.Labels?.[SWARM_LABELS.id];
      const elsewhere = swarmId
        ? this.cluster.withSwarmId(swarmId).find((l) => l.engine !== returned)
        : undefined;
      // moved off this node: the original, stale whatever became of its copy (a client may have
      // removed it since). Without a record, a node seen for the first time keeps a running
      // container whose copy also runs.
      const recorded = moved.has(row.Id);
      if (
        !recorded &&
        (!elsewhere ||
          (onlyStopped && (row.State === 'running' || !elsewhere.container.inspect.State.Running)))
      )
        continue;
      try {
        const res = await returned.request('DELETE', `containers/${row.Id}`, {
          query: { force: 1, v: 0 },
        });
        if (res.status >= 300 && res.status !== 404)
          throw new Error(`the engine answered ${res.status}`);
        returned.forgetContainer(row.Id);
        const since = elsewhere ? `on node ${elsewhere.engine.name}` : 'and its copy removed since';
        // a 404: removed meanwhile
        // (a twin of a create given up there is removed by abandoned-creates.ts too)
        if (res.status !== 404)
          this.logger.info(
            `container ${row.Id.slice(0, 12)} was rescheduled ${since}, removed it from ${returned.name}`,
          );
      } catch (err) {
        this.logger.error(
          `Failed to remove duplicate container ${row.Id.slice(0, 12)} on node ${returned.name}: ` +
            `${(err as Error).message}`,
        );
      }
    }
  }
}
