import { connectsAtOnce, idleConnectionMs } from './file-budget.js';
import { EventEmitter } from 'node:events';
import { DockerError, notFound } from '../errors.js';
import type { Logger } from '../log.js';
import { parseEngineAddress } from './address.js';
import { clusterApiRange } from './api-version.js';
import { ContainerIndex, type Located } from './container-index.js';
import { limiter } from './limiter.js';
import { Engine, type EngineEvent, type EngineOptions, tlsFor } from './engine.js';
import type { DockerEvent } from './docker-types.js';
import { ACTIVE, type MaintenanceState, type NodeMaintenance } from './maintenance.js';
import { decorateEvent, type EventNode, swarmEvent } from './event-decorate.js';

const eventNode = (engine: Engine): EventNode => ({
  name: engine.name,
  id: engine.id,
  addr: engine.addr,
  ip: engine.ip,
});

const MAX_RECORDED_EXECS = 10_000;
/** Background reads (inspects, images, networks, volumes) in flight across all nodes at once. */
const CLUSTER_READS = 32;
/** How long background reads give way to nodes still making their first connection. */
const CONNECTS_FIRST_MS = 2000;
/** How long placement waits for a node's first inventory read before leaving the node out. */
const FIRST_READ_WAIT_MS = 2000;
const NO_ENGINES: ReadonlySet<Engine> = new Set();
/** Recent events kept so a client's `since` can be answered. */
const RECENT_EVENTS = 1024;

export interface ClusterEvent extends EngineEvent {
  engine: Engine;
}

/**
 * All engines, keyed by address, and the questions asked across them: where a container or exec
 * lives, whether a name is taken. Re-emits each engine's `health`, and `event` as a ClusterEvent.
 * Knows nothing of HTTP.
 */
export class Cluster extends EventEmitter {
  readonly engines = new Map<string, Engine>();
  /** `all()`, kept until an engine joins or leaves (placement reads it on every create). */
  private listed?: readonly Engine[];
  /** The engines whose view changed since placement last read the views (see `ViewList`). */
  readonly changedViews = new Set<Engine>();
  /** Every engine's inventory has been read once (it stays read): no create waits for one. */
  private everyRead = false;
  /** Exec IDs created through the manager; inspect's ExecIDs covers the rest. */
  private readonly execOwners = new Map<string, Engine>();
  /** Names of creates under way, so two concurrent creates cannot take one name. */
  private readonly reservedNames = new Set<string>();
  private apiRange?: { max: string; min: string };
  /** The last events of every node, oldest first (a bounded ring). */
  private readonly recent: ClusterEvent[] = [];
  private readonly index = new ContainerIndex();
  private connectsSettled?: Promise<unknown>;
  /**
   * What operators set per node address (availability, labels),
   * kept for nodes not (yet) in the cluster too.
   */
  private maintenanceState: MaintenanceState = {};

  private options: EngineOptions;
  private readonly createdAt = performance.now();
  /** When placement first found each node still in its first inventory read. */
  private readonly unreadSince = new WeakMap<Engine, number>();
  private toldInventory = false;

  constructor(
    options: EngineOptions,
    private readonly logger: Logger,
  ) {
    super();
    this.options = {
      readLimit: limiter(CLUSTER_READS, () => this.firstConnects()),
      connectLimit: limiter(() => connectsAtOnce(this.engines.size)),
      ...options,
    };
  }

  /** Makes the engine set match a discovery list: removes the missing, adds the new. */
  setEntries(entries: string[]): void {
    const wanted = new Map(
      entries.map((e) => {
        const address = parseEngineAddress(e);
        return [address.addr, address] as const;
      }),
    );
    for (const [addr, engine] of this.engines) {
      if (wanted.has(addr)) continue;
      // classic announced a node that leaves discovery as disconnected
      if (engine.health !== 'pending') this.announce(engine, 'engine_disconnect');
      engine.stop();
      this.index.forget(engine);
      this.engines.delete(addr);
      this.listed = undefined;
      this.apiRange = undefined;
      this.logger.info(`node ${engine.name} (${addr}) removed`);
    }
    for (const [addr, address] of wanted) {
      if (this.engines.has(addr)) continue;
      const engine = new Engine(address, {
        ...this.options,
        idleMs: idleConnectionMs(wanted.size, this.options.refreshMaxMs + 10_000),
      });
      engine.maintenance = this.maintenanceState[addr] ?? ACTIVE;
      engine.containers.onChange = (before, after) => {
        this.index.change(engine, before, after);
        this.changedViews.add(engine);
      };
      engine.onViewChange = () => this.changedViews.add(engine);
      engine.on('health', (e: Engine, previous: string) => {
        this.apiRange = undefined;
        this.emit('health', e, previous);
        const action =
          e.health === 'healthy'
            ? previous === 'pending'
              ? 'engine_connect'
              : 'engine_reconnect'
            : previous === 'healthy'
              ? 'engine_disconnect'
              : undefined;
        if (action) this.announce(e, action);
      });
      engine.on('api-version', () => (this.apiRange = undefined));
      engine.on('inventory', () => this.inventoryRead());
      engine.on('event', (e: Engine, { event, timeNano }: EngineEvent) =>
        this.publish(e, event, timeNano),
      );
      this.engines.set(addr, engine);
      this.listed = undefined;
      this.everyRead = false;
      engine.start();
    }
  }

  /**
   * Once, when every node has had its first inventory read:
   * how long the manager took to know the whole cluster.
   */
  private inventoryRead(): void {
    if (this.toldInventory || this.all().some((e) => !e.inventoryRead)) return;
    this.toldInventory = true;
    const containers = this.all().reduce((n, e) => n + e.containers.size, 0);
    this.logger.info(
      `inventory read: ${this.engines.size} nodes, ${containers} containers, ` +
        `${Math.round(performance.now() - this.createdAt)} ms after start`,
    );
  }

  /**
   * Settles once every node known now is read or found down: its first inventory read ended, or its
   * first connect attempt failed (a node that is down must not hold the manager's readiness).
   */
  async firstRead(): Promise<void> {
    await Promise.all(
      this.all().map(async (engine) => {
        await engine.firstAttempt;
        // a read that failed counts as ended: the node's health tells the rest
        if (engine.health === 'healthy') await engine.inventory().catch(() => {});
      }),
    );
  }

  /** Skep's own event about a node (`Type: swarm`), to every `/events` client. */
  announce(engine: Engine, action: string, attributes: Record<string, string> = {}): void {
    const { event, timeNano } = swarmEvent(action, eventNode(engine), attributes);
    this.publish(engine, event, timeNano);
  }

  /**
   * One event for `/events` clients: decorated with its node, remembered for `since`, broadcast.
   */
  private publish(engine: Engine, event: DockerEvent, timeNano: bigint): void {
    const decorated = decorateEvent(event, timeNano, eventNode(engine));
    const clusterEvent: ClusterEvent = { engine, timeNano, ...decorated };
    if (this.recent.push(clusterEvent) > RECENT_EVENTS) this.recent.shift();
    this.emit('event', clusterEvent);
  }

  /** TLS towards engines read again (a reload): new connections to every node use it. */
  setTls(tls: EngineOptions['tls']): void {
    this.options.tls = tls;
    for (const engine of this.engines.values()) engine.setTls(tlsFor(engine.address, tls));
  }

  /** Every node's maintenance as set (nodes that are not in the cluster included). */
  maintenance(): MaintenanceState {
    return this.maintenanceState;
  }

  /**
   * Replaces every node's maintenance (read back at start, or by a new primary);
   * emits `maintenance` (engine, previous) for each node whose maintenance changed.
   */
  setMaintenance(state: MaintenanceState): void {
    this.maintenanceState = { ...state };
    for (const engine of this.engines.values()) {
      const previous = engine.maintenance;
      const next = this.maintenanceState[engine.addr] ?? ACTIVE;
      if (sameMaintenance(previous, next)) continue;
      engine.maintenance = next;
      this.emit('maintenance', engine, previous);
    }
  }

  /**
   * A node by its address, name, or ID (the engine's, or a unique prefix of it), as `docker node`
   * finds one; Docker's 404 otherwise.
   */
  findNode(ref: string): Engine {
    const byAddr = this.engines.get(ref);
    if (byAddr) return byAddr;
    const found = this.all().filter((e) => e.name === ref || e.info?.ID === ref);
    const byPrefix =
      found.length > 0
        ? found
        : ref.length >= 3
          ? this.all().filter((e) => e.info?.ID.startsWith(ref))
          : [];
    if (byPrefix.length > 1)
      throw new DockerError(400, `node ${ref} is ambiguous (${byPrefix.length} matches found)`);
    if (!byPrefix[0]) throw notFound(`node ${ref} not found`);
    return byPrefix[0];
  }

  stop(): void {
    for (const engine of this.engines.values()) engine.stop();
  }

  /** Every engine, in the order they joined: one list, made again only when one joins or leaves. */
  all(): readonly Engine[] {
    return (this.listed ??= [...this.engines.values()]);
  }

  healthy(): Engine[] {
    return this.all().filter((e) => e.health === 'healthy');
  }

  /**
   * Settles when every node known at the first background read has made its first connect attempt,
   * or after CONNECTS_FIRST_MS (a silent node must not hold the others up). Made once: later reads
   * pass straight on.
   */
  private firstConnects(): Promise<unknown> {
    if (!this.connectsSettled) {
      let timer: NodeJS.Timeout | undefined;
      const cap = new Promise((resolve) => (timer = setTimeout(resolve, CONNECTS_FIRST_MS)));
      this.connectsSettled = Promise.race([
        Promise.all(this.all().map((e) => e.firstAttempt)),
        cap,
      ]).finally(() => clearTimeout(timer));
    }
    return this.connectsSettled;
  }

  /**
   * The healthy nodes placement leaves out for now: those whose first inventory read (containers
   * inspected, images, networks, volumes) is under way. Just after start their reads are waited
   * for, each at most FIRST_READ_WAIT_MS from when placement first met it: an engine whose reads
   * stall (paused, overloaded) must not hold every create in the cluster until its request
   * timeout, so it takes containers once read, as classic added a node once its containers were
   * read. A node read before is never waited for: its cache holds what its containers reserve,
   * and a read after its return only refreshes that.
   */
  async unread(): Promise<ReadonlySet<Engine>> {
    // asked on every create: nothing made unless a node is in its first read
    this.everyRead ||= this.all().every((e) => e.inventoryRead);
    if (this.everyRead) return NO_ENGINES;
    const inFirstRead = (e: Engine) => e.health === 'healthy' && !e.inventoryRead;
    const first = () => this.all().filter(inFirstRead);
    if (!this.all().some(inFirstRead)) return NO_ENGINES;
    const reading = first();
    const now = Date.now();
    await Promise.all(
      reading.map((engine) => {
        const since = this.unreadSince.get(engine) ?? now;
        this.unreadSince.set(engine, since);
        return within(engine.inventory(), since + FIRST_READ_WAIT_MS - now);
      }),
    );
    return new Set(first());
  }

  /**
   * Every engine, the healthy ones first
   * (where a name on several nodes resolves to the one that can answer).
   */
  healthyFirst(): Engine[] {
    return [...this.healthy(), ...this.all().filter((e) => e.health !== 'healthy')];
  }

  /** Changes with every change to any node's cached containers. */
  get containersRevision(): number {
    return this.index.revision;
  }

  /** The events still remembered, oldest first. */
  recentEvents(): readonly ClusterEvent[] {
    return this.recent;
  }

  /** The API versions every healthy engine speaks: the newest is what the cluster advertises. */
  apiVersions(): { max: string; min: string } {
    // asked on every request; it changes only when a node's health or API version does
    return (this.apiRange ??= clusterApiRange(
      this.healthy().flatMap((e) => (e.version ? [e.version] : [])),
    ));
  }

  /**
   * The builder the cluster offers by default, as `/_ping`'s `Builder-Version` says it: `1` when
   * any healthy engine says 1 (a legacy build must work wherever it is placed), else `2` when any
   * says 2, else none (dockerd 20.10).
   */
  builderVersion(): string | undefined {
    const said = new Set(this.healthy().map((e) => e.builderVersion));
    return said.has('1') ? '1' : said.has('2') ? '2' : undefined;
  }

  /**
   * Finds a container by full ID, name (`name` or `node/name`) or unique ID prefix;
   * Docker's errors otherwise.
   */
  findContainer(ref: string): Located {
    return this.index.find(ref);
  }

  /**
   * The containers that carry a swarm ID (`com.docker.swarm.id`):
   * one, or two while a stale copy waits for removal.
   */
  withSwarmId(swarmId: string): Located[] {
    return this.index.withSwarmId(swarmId);
  }

  /** The container that holds a name, if any (names are unique across the cluster). */
  nameOwner(name: string): string | undefined {
    return this.index.named(name.replace(/^\//, ''))[0]?.container.summary.Id;
  }

  /**
   * Claims a name for a create under way; returns a release function,
   * or throws Docker's 409 when taken.
   */
  reserveName(name: string): () => void {
    const wanted = name.replace(/^\//, '');
    const owner = this.nameOwner(wanted);
    if (owner || this.reservedNames.has(wanted)) {
      throw new DockerError(
        409,
        `Conflict. The container name "/${wanted}" is already in use by container "${owner ?? 'being created'}". ` +
          'You have to remove (or rename) that container to be able to reuse that name.',
      );
    }
    this.reservedNames.add(wanted);
    return () => this.reservedNames.delete(wanted);
  }

  recordExec(execId: string, engine: Engine): void {
    // Bounded: engines forget finished execs too,
    // and a lookup miss falls back to the cached ExecIDs.
    if (this.execOwners.size >= MAX_RECORDED_EXECS)
      this.execOwners.delete(this.execOwners.keys().next().value!);
    this.execOwners.set(execId, engine);
  }

  /** The engine that owns an exec: recorded at create, or found in a cached container's ExecIDs. */
  findExec(execId: string): Engine {
    const recorded = this.execOwners.get(execId);
    if (recorded && this.engines.get(recorded.addr) === recorded) return recorded;
    for (const engine of this.engines.values()) {
      for (const { inspect } of engine.containers.values()) {
        if (inspect.ExecIDs?.includes(execId)) return engine;
      }
    }
    throw notFound(`No such exec instance: ${execId}`);
  }
}

function sameMaintenance(a: NodeMaintenance, b: NodeMaintenance): boolean {
  return a.availability === b.availability && JSON.stringify(a.labels) === JSON.stringify(b.labels);
}

/** Settles when `work` does, or after `ms` (at once when none is left), whichever is first. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  if (ms <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]).finally(
    () => clearTimeout(timer),
  );
}
