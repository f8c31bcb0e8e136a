import { EventEmitter } from 'node:events';
import type { ResolvedConfig } from '../../config/types.js';
import type { Logger } from '../log.js';
import type { ContainerConfig, NodeHealth, NodeTotals, Reservation } from '../pipeline-types.js';
import type { EngineAddress } from './address.js';
import { coalesce } from './coalesce.js';
import type { ContainerInspect, DockerEvent, DockerInfo, DockerVersion } from './docker-types.js';
import {
  EngineClient,
  type EngineResponse,
  isClosedWithoutAnswer,
  isConnectionError,
  NotAnEngineError,
  type Query,
} from './engine-client.js';
import { LINK_PROBE_MS } from './engine-http.js';
import { EngineHealth } from './engine-health.js';
import { EventFollower } from './event-follower.js';
import { Inventory } from './inventory.js';
import { type Limit, unlimited } from './limiter.js';
import type { Telemetry } from '../telemetry.js';
import { type NodeMaintenance, ACTIVE } from './maintenance.js';

/**
 * The engine settings of the configuration, where to log, TLS towards engines (the cluster's and
 * per node), and which containers' whole inspect documents to keep (the rest keep only what the
 * manager reads).
 */
export type EngineOptions = ResolvedConfig['engine'] & {
  logger: Logger;
  tls?: ResolvedConfig['engineTls'];
  keepWhole?: (inspect: ContainerInspect) => boolean;
  /** Bounds the background reads (inspects, images, networks, volumes) across the cluster. */
  readLimit?: Limit;
  /** Bounds the nodes in their first contact at once, where open files are short (file-budget.ts). */
  connectLimit?: Limit;
  /**
   * What the node's containers reserve, from the engine's totals (the `nodeReserved` stage):
   * policy, such as reading CpuShares as cores, belongs to plugins. Without it: no cores, their
   * memory.
   */
  readReservation?: (totals: NodeTotals) => Reservation;
  /** Told of every exchange and event stream reconnect (metrics); nothing by default. */
  telemetry?: Telemetry;
  /** How long an idle connection is kept; by default past the next health check. */
  idleMs?: number;
};

/**
 * Something placed on an engine whose result is not in its cache yet (a create, a build...), with
 * what it holds there meanwhile; a container's create also counts as one of the node's containers.
 */
export interface PendingCreate {
  reserve: Reservation;
  container?: { name?: string; config: ContainerConfig };
}

/** One event of an engine's stream: parsed, as the engine wrote it, and its exact time. */
export interface EngineEvent {
  event: DockerEvent;
  raw: string;
  timeNano: bigint;
}

/** Events that change nothing the cache holds. */
const QUIET_CONTAINER_ACTIONS = new Set([
  'attach',
  'detach',
  'resize',
  'top',
  'archive-path',
  'extract-to-dir',
  'export',
  'copy',
  'exec_create',
  'exec_start',
  'exec_die',
  'exec_detach',
]);

interface EngineEvents {
  health: [engine: Engine, previous: NodeHealth];
  'api-version': [engine: Engine];
  /** The node's first full inventory read has ended. */
  inventory: [engine: Engine];
  event: [engine: Engine, event: EngineEvent];
}

/**
 * One Docker engine, made of a few objects with one job each: its client (every exchange), its
 * health state machine (engine-health.ts), its event follower (event-follower.ts) and its
 * inventory (inventory.ts). This class reads the specs, wires the three together, and holds what
 * placements reserve on it. Emits `health` (engine, previous), `api-version` (engine),
 * `inventory` (engine) and `event` (engine, EngineEvent).
 */
export class Engine extends EventEmitter<EngineEvents> {
  /**
   * Every exchange with the engine goes through the door below
   * (`request`, `json`, `stream`, `hijack`, `upgrade`).
   */
  readonly #client: EngineClient;
  info?: DockerInfo;
  version?: DockerVersion;
  #builderVersion?: string;
  #clockSkewMs = 0;
  #specsRevision = 0;
  /**
   * Counts changes to what a node's view is made of (specs, health, maintenance, placements held),
   * with the container cache's and the inventory's own counts (see `viewStamp`).
   */
  revision = 0;
  private nodeMaintenance: NodeMaintenance = ACTIVE;
  /** What placements hold on this engine until their results are in the cache (see `hold`). */
  readonly pending = new Set<PendingCreate>();
  /**
   * Placements under way that are containers: placement counts them among the node's containers.
   */
  pendingContainers = 0;
  private idOf?: { info: DockerInfo; id: string };
  /** What the `nodeReserved` stage last said of these totals. */
  private lastReading?: { totals: NodeTotals; reserved: Reservation };
  private readonly state: EngineHealth;
  private readonly events: EventFollower;
  private readonly stock: Inventory;
  readonly refreshInfo = coalesce(
    async () => void (await this.readInfo()),
    (e) => this.report(e),
  );

  constructor(
    readonly address: EngineAddress,
    private readonly options: EngineOptions,
  ) {
    super();
    const tls = tlsFor(address, options.tls);
    // an idle connection outlives the time between two health checks, so each check reuses one
    const idleMs = options.idleMs ?? options.refreshMaxMs + 10_000;
    const telemetry = options.telemetry;
    this.#client = new EngineClient(
      address,
      // links probed after 10 s of silence,
      // or sooner when health checks were asked to be more frequent
      {
        requestMs: options.requestTimeoutMs,
        connectMs: options.connectTimeoutMs,
        idleMs,
        probeMs: Math.min(LINK_PROBE_MS, options.refreshMinMs),
      },
      tls,
      telemetry && ((outcome, seconds) => telemetry.engineExchange(this.name, outcome, seconds)),
    );
    const name = () => this.name;
    this.stock = new Inventory(
      this.#client,
      options,
      (err) => this.report(err),
      () => this.emit('inventory', this),
    );
    this.stock.onChange = () => this.onViewChange?.();
    this.state = new EngineHealth(
      options,
      {
        connect: () => (options.connectLimit ?? unlimited)(() => this.connect()),
        check: () => this.check(),
        resync: () => this.resync(),
        following: () => this.events.open,
      },
      name,
    );
    this.state.on('change', (previous) => {
      this.viewChanged();
      const next = this.state.state;
      if (previous !== 'pending' || next !== 'healthy')
        options.logger.warn(
          `node ${this.name} (${this.addr}) is now ${next}${next === 'healthy' ? '' : `: ${this.lastError}`}`,
        );
      this.emit('health', this, previous);
    });
    this.events = new EventFollower(
      this.#client,
      options.logger,
      name,
      () => (this.info?.SystemTime ? String(Date.parse(this.info.SystemTime) / 1000) : undefined),
      {
        event: (event, raw, timeNano) => this.onEvent(event, raw, timeNano),
        opened: (missed) => {
          if (missed) telemetry?.eventStreamReconnect(this.name);
          if (this.health === 'healthy') this.report();
          if (missed) void this.state.counted(() => this.resync());
        },
        broke: (err) => this.report(err),
      },
    );
  }

  /** Engine clock minus manager clock, so cached times read as the engine would print them. */
  get clockSkewMs(): number {
    return this.#clockSkewMs;
  }

  /**
   * Counts reads of the specs (`/info`, `/version`): what was made from them before is out of date.
   */
  get specsRevision(): number {
    return this.#specsRevision;
  }

  /**
   * The engine's `/_ping` `Builder-Version`
   * (`2`: BuildKit by default; dockerd 20.10 sends none unless configured).
   */
  get builderVersion(): string | undefined {
    return this.#builderVersion;
  }

  get health(): NodeHealth {
    return this.state.state;
  }

  /** What the operator set on the manager's side (`swarm node update`): availability and labels. */
  get maintenance(): NodeMaintenance {
    return this.nodeMaintenance;
  }
  set maintenance(maintenance: NodeMaintenance) {
    this.nodeMaintenance = maintenance;
    this.viewChanged();
  }

  /**
   * Told when anything a node view shows changes (the cluster marks the node, so placement remakes
   * only the changed nodes' views).
   */
  onViewChange?: () => void;

  /** Something a node view shows changed. */
  private viewChanged(): void {
    this.revision++;
    this.onViewChange?.();
  }

  /** Whether anything a node view shows has changed since `stamp` was taken. */
  changedSince(stamp: readonly number[]): boolean {
    return (
      stamp[0] !== this.revision ||
      stamp[1] !== this.stock.containers.revision ||
      stamp[2] !== this.stock.revision
    );
  }

  viewStamp(): [number, number, number] {
    return [this.revision, this.stock.containers.revision, this.stock.revision];
  }

  /** `changedSince` for a stamp kept at `at` in a flat list (no array per node per placement). */
  changedSinceAt(stamps: readonly number[], at: number): boolean {
    return (
      stamps[at] !== this.revision ||
      stamps[at + 1] !== this.stock.containers.revision ||
      stamps[at + 2] !== this.stock.revision
    );
  }

  stampAt(stamps: number[], at: number): void {
    stamps[at] = this.revision;
    stamps[at + 1] = this.stock.containers.revision;
    stamps[at + 2] = this.stock.revision;
  }

  get failures(): number {
    return this.state.failures;
  }

  get lastError(): string | undefined {
    return this.state.lastError;
  }

  get updatedAt(): Date | undefined {
    return this.state.updatedAt;
  }

  /** Settles when the first connect attempt has ended, either way. */
  get firstAttempt(): Promise<void> {
    return this.state.firstAttempt;
  }

  get containers() {
    return this.stock.containers;
  }

  get images() {
    return this.stock.images;
  }

  get networks() {
    return this.stock.networks;
  }

  get volumes() {
    return this.stock.volumes;
  }

  readonly refreshImages = () => this.stock.refreshImages();
  readonly refreshNetworks = () => this.stock.refreshNetworks();
  readonly refreshVolumes = () => this.stock.refreshVolumes();

  /** Re-reads one container (list row and inspect); drops it when the engine no longer has it. */
  refreshContainer(id: string): Promise<void> {
    return this.stock.refreshContainer(id);
  }

  /** Drops a container the engine removed (or the manager moved away), for good. */
  forgetContainer(id: string): void {
    this.stock.forgetContainer(id);
  }

  /**
   * The node's first full inventory read has ended
   * (containers inspected, images, networks, volumes).
   */
  get inventoryRead(): boolean {
    return this.stock.everRead;
  }

  /**
   * Settles once the node's inventory is read:
   * every container listed so far inspected, images, networks, volumes.
   */
  inventory(): Promise<void> {
    return this.stock.settled();
  }

  /** A full read of the node's inventory is under way. */
  get inventoryBusy(): boolean {
    return this.stock.busy;
  }

  /**
   * Reads the container list again and inspects what changed
   * (classic's `--refresh-on-node-filter`); counts toward health.
   */
  refreshContainerList(): Promise<boolean> {
    return this.state.counted(() => this.stock.readContainers());
  }

  /**
   * The outcome of an exchange of the engine's own parts (its health checks, events, inventory):
   * nothing when it worked, the error when not. Calls through the door below count by themselves.
   */
  private report(err?: unknown): void {
    this.state.report(err);
  }

  /**
   * A call through the door that failed:
   * the engine could not be reached, which counts toward its health.
   */
  private failed = (err: unknown): never => {
    // an engine that closes a malformed request without answering refused that request:
    // the node is fine
    if (isConnectionError(err) && !isClosedWithoutAnswer(err)) this.state.report(err);
    throw err;
  };

  /**
   * One exchange answered whole: a proxied call, a create, the manager's own. The request timeout
   * applies unless `timeoutMs` says otherwise (`false`: none).
   */
  request(
    method: string,
    path: string,
    options?: Parameters<EngineClient['request']>[2],
  ): Promise<EngineResponse> {
    return this.#client.request(method, path, options).catch(this.failed);
  }

  /**
   * A GET that must answer 2xx with JSON
   * (an EngineCallError otherwise, which says nothing of the node's health).
   */
  json<T>(path: string, query?: Query): Promise<T> {
    return this.#client.json<T>(path, query).catch(this.failed);
  }

  /**
   * A streamed call (logs, pulls, builds):
   * a failure before the engine answers counts toward its health.
   */
  async stream(
    method: string,
    path: string,
    options?: Parameters<EngineClient['stream']>[2],
  ): Promise<import('got').Request> {
    const request = await this.#client.stream(method, path, options).catch(this.failed);
    let answered = false;
    request.once('response', () => (answered = true));
    request.once('error', (err: unknown) => {
      if (!answered && isConnectionError(err) && !isClosedWithoutAnswer(err))
        this.state.report(err);
    });
    return request;
  }

  /** A connection of its own for a hijacked exchange (attach, exec start, a BuildKit session). */
  hijack(): Promise<import('node:net').Socket> {
    return this.#client.raw().catch(this.failed);
  }

  /** A connection of its own on which the engine switched protocols (BuildKit's `/grpc`). */
  upgrade(path: string, headers: [string, string][]): Promise<import('node:net').Socket> {
    return this.#client.upgrade(path, headers).catch(this.failed);
  }

  /** TLS towards the engine read again (a reload): new connections use it. */
  setTls(tls: Parameters<EngineClient['setTls']>[0]): void {
    this.#client.setTls(tls);
  }

  /**
   * What the node's containers (stopped ones too: classic swarm's rule)
   * and the placements under way hold.
   */
  reserved(): Reservation {
    const ncpu = this.info?.NCPU ?? 0;
    const { cpuShares, memory: containersMemory } = this.containers;
    // the stage is pure: read again only when the totals change
    // (placement reads every node on every create)
    const last = this.lastReading;
    if (
      !last ||
      last.totals.ncpu !== ncpu ||
      last.totals.cpuShares !== cpuShares ||
      last.totals.memory !== containersMemory
    ) {
      const totals: NodeTotals = { ncpu, cpuShares, memory: containersMemory };
      this.lastReading = {
        totals,
        reserved: this.options.readReservation?.(totals) ?? { cpus: 0, memory: containersMemory },
      };
    }
    let { cpus, memory } = this.lastReading!.reserved;
    for (const { reserve } of this.pending) {
      cpus += reserve.cpus;
      memory += reserve.memory;
    }
    return { cpus, memory };
  }

  /** Holds what a placement reserves here until the returned release is called (once). */
  hold(pending: PendingCreate): () => void {
    this.pending.add(pending);
    this.viewChanged();
    if (pending.container) this.pendingContainers++;
    return () => {
      if (!this.pending.delete(pending)) return;
      this.viewChanged();
      if (pending.container) this.pendingContainers--;
    };
  }

  get addr(): string {
    return this.address.addr;
  }

  /**
   * Classic swarm's node ID: engine ID and address, so cloned engines with one ID stay distinct.
   */
  get id(): string {
    const info = this.info;
    if (!info) return this.addr;
    // read per node on every placement: made once per /info read
    if (this.idOf?.info !== info) this.idOf = { info, id: `${info.ID}|${this.addr}` };
    return this.idOf.id;
  }

  get name(): string {
    return this.info?.Name ?? this.addr;
  }

  get ip(): string {
    return this.address.kind === 'unix' ? '127.0.0.1' : this.address.host;
  }

  start(): void {
    this.state.start();
  }

  stop(): void {
    this.stock.stopped = true;
    this.state.stop();
    this.events.stop();
    this.#client.close();
  }

  /**
   * The first contact: specs, then events followed, then the container list
   * (the rest in the background).
   */
  private async connect(): Promise<void> {
    await this.refreshSpecs();
    this.events.follow();
    await this.stock.readAll();
    this.options.logger.info(
      `node ${this.name} (${this.addr}) connected: ${this.containers.size} containers`,
    );
  }

  // The reads of a connect or full re-read go one after another: over one kept-alive connection
  // per node, where in parallel 1,000 nodes would each open and close four more.
  private async refreshSpecs(): Promise<void> {
    const version = keptVersion(await this.#client.spec<DockerVersion>('version'));
    await this.readInfo();
    // which builder the engine offers by default (BuildKit is 2): only `/_ping` says, as a header
    const ping = await this.#client.request('HEAD', '_ping');
    this.#builderVersion = [ping.headers['builder-version']].flat()[0] || undefined;
    const apiChanged =
      version.ApiVersion !== this.version?.ApiVersion ||
      version.MinAPIVersion !== this.version?.MinAPIVersion;
    this.version = version;
    this.#specsRevision++;
    this.viewChanged();
    if (apiChanged) this.emit('api-version', this);
  }

  private async readInfo(): Promise<DockerInfo> {
    const info = await this.#client.spec<DockerInfo>('info');
    if (!info.NCPU || !info.MemTotal) {
      throw new NotAnEngineError(
        `${this.addr} reports no CPUs or memory: make sure it is a Docker engine, not a swarm manager`,
      );
    }
    if (info.SystemTime) this.#clockSkewMs = Date.parse(info.SystemTime) - Date.now();
    const kept = keptInfo(info);
    // the same specs (a health check's read): the same object, so what was made from it
    // (views, list rows, the node's block of docker info) stays; only the counts and the clock move
    if (this.info && sameSpecs(this.info, kept)) Object.assign(this.info, volatileInfo(kept));
    else {
      this.info = kept;
      this.#specsRevision++;
      this.viewChanged();
    }
    return info;
  }

  /**
   * The safety net, one request: the engine's `/info`. Its events keep the cache current, so
   * everything is read again only when `/info`'s container counts disagree with the cache, or when
   * part of the last full read went unanswered.
   */
  private async check(): Promise<void> {
    const info = await this.readInfo();
    const { size, running, paused } = this.containers;
    const countsDisagree =
      info.Containers !== size ||
      info.ContainersRunning !== running ||
      info.ContainersPaused !== paused;
    if (countsDisagree || this.stock.incomplete) {
      this.options.logger.debug(
        countsDisagree
          ? `node ${this.name}: /info counts ${info.Containers} containers, the cache ${size}: reading everything again`
          : `node ${this.name}: part of its last full read went unanswered: reading everything again`,
      );
      await this.stock.readAll();
    }
  }

  /** Re-reads the specs and everything cached, and follows events again if the stream is down. */
  private async resync(): Promise<void> {
    this.events.caughtUp();
    await this.refreshSpecs();
    await this.stock.readAll();
    this.events.follow();
  }

  private onEvent(event: DockerEvent, raw: string, timeNano: bigint): void {
    const action = (event.Action ?? event.status ?? '').split(':')[0]!;
    const actorId = event.Actor?.ID ?? event.id ?? '';
    switch (event.Type ?? 'container') {
      case 'container':
        // a prune's own event names no container (each removal has its destroy): nothing to read
        if (!actorId) break;
        if (action === 'destroy') this.forgetContainer(actorId);
        // a create says only that the container exists:
        // a copy cached or being read already knows that
        else if (
          action === 'create' &&
          (this.containers.get(actorId) || this.stock.refreshing(actorId))
        )
          break;
        else if (!QUIET_CONTAINER_ACTIONS.has(action)) void this.refreshContainer(actorId);
        if (action === 'commit') void this.refreshImages();
        break;
      case 'image':
        void this.refreshImages();
        // /info counts images (intermediate ones too) as the node reports them
        void this.refreshInfo();
        break;
      case 'network': {
        void this.refreshNetworks();
        const container = event.Actor?.Attributes?.container;
        if (container) void this.refreshContainer(container);
        break;
      }
      case 'volume':
        void this.refreshVolumes();
        break;
      case 'daemon':
        if (action === 'reload') void this.readInfo().catch((e) => this.report(e));
        break;
    }
    this.emit('event', this, { event, raw, timeNano } satisfies EngineEvent);
  }
}

/** The TLS towards one engine: its own settings, else the cluster's; none over a unix socket. */
export function tlsFor(address: EngineAddress, tls: ResolvedConfig['engineTls']) {
  return address.kind === 'tcp' && tls ? (tls.nodes[address.addr] ?? tls) : undefined;
}

/** What changes in `/info` from one read to the next without the node changing. */
const VOLATILE_INFO = [
  'SystemTime',
  'Images',
  'Containers',
  'ContainersRunning',
  'ContainersPaused',
] as const;

/**
 * The fields of an engine's `/info` the manager reads (the node block of `docker info`, labels for
 * constraints, the container counts the check compares): the whole document is ~10 KB in memory,
 * 50 MB at 5,000 nodes.
 */
const KEPT_INFO = [
  'ID',
  'Name',
  'NCPU',
  'MemTotal',
  'Labels',
  'Driver',
  'KernelVersion',
  'OperatingSystem',
  'OSType',
  'Architecture',
  'ServerVersion',
  ...VOLATILE_INFO,
] as const;

/** `fields` of `from`, in that order (a missing one is there, undefined, as a destructured one). */
function picked<T extends object>(from: T, fields: readonly (keyof T & string)[]): Partial<T> {
  return Object.fromEntries(fields.map((field) => [field, from[field]])) as Partial<T>;
}

function keptInfo(info: DockerInfo): DockerInfo {
  return picked(info, KEPT_INFO) as DockerInfo;
}

function volatileInfo(info: DockerInfo): Partial<DockerInfo> {
  return picked(info, VOLATILE_INFO);
}

function sameSpecs(a: DockerInfo, b: DockerInfo): boolean {
  const volatile = volatileInfo(a);
  return Object.keys(b).every(
    (k) =>
      k in volatile ||
      (k === 'Labels' ? JSON.stringify(a.Labels) === JSON.stringify(b.Labels) : a[k] === b[k]),
  );
}

/**
 * The fields of `/version` the manager reads: the engine's version and the API versions it speaks.
 */
function keptVersion(version: DockerVersion): DockerVersion {
  const { Version, ApiVersion, MinAPIVersion, Os, Arch, KernelVersion } = version;
  return { Version, ApiVersion, MinAPIVersion, Os, Arch, KernelVersion };
}
