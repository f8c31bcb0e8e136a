import { EventEmitter } from 'node:events';
import type { ResolvedConfig } from '../../config/types.js';
import type { Logger } from '../log.js';
import type { ContainerConfig, NodeHealth, NodeTotals, Reservation } from '../pipeline-types.js';
import type { EngineAddress } from './address.js';
import { coalesce } from './coalesce.js';
import { ContainerCache, keptInspect, rowInspect } from './container-cache.js';
import type { ContainerInspect, ContainerSummary, DockerEvent, DockerInfo, DockerVersion, ImageSummary } from './docker-types.js';
import { EngineCallError, EngineClient, isConnectionError } from './engine-client.js';
import type { OpenCall } from './engine-http.js';
import { exactTimeNano, readJsonLines } from './event-stream.js';
import type { Limit } from './limiter.js';

/**
 * The engine settings of the configuration, where to log, TLS towards engines (the cluster's and per node),
 * and which containers' whole inspect documents to keep (the rest keep only what the manager reads).
 */
export type EngineOptions = ResolvedConfig['engine'] & {
  logger: Logger;
  tls?: ResolvedConfig['engineTls'];
  keepWhole?: (inspect: ContainerInspect) => boolean;
  /** Bounds the background reads (inspects, images, networks, volumes) across the cluster. */
  readLimit?: Limit;
  /**
   * What the node's containers reserve, from the engine's totals (the `nodeReserved` stage): policy, such as
   * reading CpuShares as cores, belongs to plugins. Without it: no cores, their memory.
   */
  readReservation?: (totals: NodeTotals) => Reservation;
};

/**
 * Something placed on an engine whose result is not in its cache yet (a create, a build...), with what it holds
 * there meanwhile; a container's create also counts as one of the node's containers.
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
const QUIET_CONTAINER_ACTIONS = new Set(['attach', 'detach', 'resize', 'top', 'archive-path', 'extract-to-dir', 'export', 'copy', 'exec_create', 'exec_start', 'exec_die', 'exec_detach']);
const MAX_EVENT_BACKOFF_MS = 10_000;
// per node: across nodes, the cluster's read limit sets how many run at once
const INSPECT_CONCURRENCY = 2;
const MAX_REMOVED_REMEMBERED = 4096;

/**
 * One Docker engine: its specs, a cached copy of its containers, images, networks and volumes kept
 * current from its `/events` stream, a jittered one-request check as a safety net, and its health.
 * Emits `health` (engine, previous), `api-version` (engine) and `event` (engine, EngineEvent).
 */
export class Engine extends EventEmitter {
  readonly client: EngineClient;
  health: NodeHealth = 'pending';
  info?: DockerInfo;
  version?: DockerVersion;
  lastError?: string;
  updatedAt?: Date;
  /** Engine clock minus manager clock, so cached times read as the engine would print them. */
  clockSkewMs = 0;
  failures = 0;
  /** Counts reads of the specs (`/info`, `/version`): what was made from them before is out of date. */
  specsRevision = 0;
  readonly containers = new ContainerCache();
  images: ImageSummary[] = [];
  networks: Record<string, unknown>[] = [];
  volumes: Record<string, unknown>[] = [];
  /** What placements hold on this engine until their results are in the cache (see `hold`). */
  readonly pending = new Set<PendingCreate>();
  /** Placements under way that are containers: placement counts them among the node's containers. */
  pendingContainers = 0;

  private stopped = false;
  /** A quick re-probe of an unhealthy engine is scheduled. */
  private probing = false;
  private refreshTimer?: NodeJS.Timeout;
  private eventsStream?: OpenCall;
  private eventsTimer?: NodeJS.Timeout;
  private eventFailures = 0;
  /** The events stream broke since the last full read: what it would have told must be read again. */
  private streamBroke = false;
  /** The background reads of the node's inventory (inspects, images, networks, volumes) under way. */
  private inventoryRead: Promise<void> = Promise.resolve();
  private lastEventNano?: bigint;
  private readonly containerRefreshes = new Map<string, () => Promise<void>>();
  /** IDs of removed containers: a refresh that was under way when one went must not bring it back. */
  private readonly removed = new Set<string>();
  readonly refreshImages = coalesce(async () => { this.images = await this.client.json<ImageSummary[]>('images/json'); }, (e) => this.noteError(e));
  readonly refreshInfo = coalesce(async () => void (await this.readInfo()), (e) => this.noteError(e));
  readonly refreshNetworks = coalesce(async () => { this.networks = await this.client.json<Record<string, unknown>[]>('networks'); }, (e) => this.noteError(e));
  readonly refreshVolumes = coalesce(async () => {
    this.volumes = (await this.client.json<{ Volumes: Record<string, unknown>[] | null }>('volumes')).Volumes ?? [];
  }, (e) => this.noteError(e));

  constructor(
    readonly address: EngineAddress,
    private readonly options: EngineOptions,
  ) {
    super();
    const tls = address.kind === 'tcp' && options.tls ? (options.tls.nodes[address.addr] ?? options.tls) : undefined;
    // an idle connection outlives the time between two health checks, so each check reuses one
    const idleMs = options.refreshMaxMs + 10_000;
    this.client = new EngineClient(address, { requestMs: options.requestTimeoutMs, connectMs: options.connectTimeoutMs, idleMs }, tls);
  }

  /** What the node's containers (stopped ones too: classic swarm's rule) and the placements under way hold. */
  reserved(): Reservation {
    const totals: NodeTotals = { ncpu: this.info?.NCPU ?? 0, cpuShares: this.containers.cpuShares, memory: this.containers.memory };
    const base = this.options.readReservation?.(totals) ?? { cpus: 0, memory: totals.memory };
    let { cpus, memory } = base;
    for (const { reserve } of this.pending) {
      cpus += reserve.cpus;
      memory += reserve.memory;
    }
    return { cpus, memory };
  }

  /** Holds what a placement reserves here until the returned release is called (once). */
  hold(pending: PendingCreate): () => void {
    this.pending.add(pending);
    if (pending.container) this.pendingContainers++;
    return () => {
      if (this.pending.delete(pending) && pending.container) this.pendingContainers--;
    };
  }

  get addr(): string {
    return this.address.addr;
  }

  /** Classic swarm's node ID: engine ID and address, so cloned engines with one ID stay distinct. */
  get id(): string {
    return this.info ? `${this.info.ID}|${this.addr}` : this.addr;
  }

  get name(): string {
    return this.info?.Name ?? this.addr;
  }

  get ip(): string {
    return this.address.kind === 'unix' ? '127.0.0.1' : this.address.host;
  }

  start(): void {
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.refreshTimer);
    clearTimeout(this.eventsTimer);
    this.eventsStream?.abort();
    this.client.close();
  }

  // declared before the promise that sets it: a later declaration would reset it to undefined
  private endFirstAttempt!: () => void;
  /** Settles when the first connect attempt has ended, either way. */
  readonly firstAttempt = new Promise<void>((resolve) => (this.endFirstAttempt = resolve));

  /** Reads specs and the container list, then follows events. Retries with backoff until it works. */
  private async connect(): Promise<void> {
    try {
      await this.refreshSpecs();
      this.followEvents();
      await this.refreshAll();
      this.noteSuccess();
      this.options.logger.info(`node ${this.name} (${this.addr}) connected: ${this.containers.size} containers`);
      this.scheduleCheck();
    } catch (err) {
      this.noteError(err);
      if (this.stopped) return;
      const delay = Math.min(1000 * 2 ** Math.min(this.failures - 1, 10), this.options.refreshMaxMs);
      this.refreshTimer = setTimeout(() => void this.connect(), delay);
    } finally {
      this.endFirstAttempt();
    }
  }

  /** Settles once the node's inventory is read: every container listed so far inspected, images, networks, volumes. */
  inventory(): Promise<void> {
    return this.inventoryRead;
  }

  // The reads of a connect or full re-read go one after another: over one kept-alive connection per node,
  // where in parallel 1,000 nodes would each open and close four more.
  private async refreshSpecs(): Promise<void> {
    const version = await this.client.json<DockerVersion>('version');
    await this.readInfo();
    const apiChanged = version.ApiVersion !== this.version?.ApiVersion || version.MinAPIVersion !== this.version?.MinAPIVersion;
    this.version = version;
    this.specsRevision++;
    if (apiChanged) this.emit('api-version', this);
  }

  private async readInfo(): Promise<DockerInfo> {
    const info = await this.client.json<DockerInfo>('info');
    if (!info.NCPU || !info.MemTotal) {
      throw new Error(`${this.addr} reports no CPUs or memory: make sure it is a Docker engine, not a swarm manager`);
    }
    if (info.SystemTime) this.clockSkewMs = Date.parse(info.SystemTime) - Date.now();
    this.info = info;
    this.specsRevision++;
    return info;
  }

  /**
   * Lists the containers; the rest of the inventory follows in the background, so that 1,000 nodes are
   * served after four requests each rather than after their 30,000 inspects. Placement waits for it.
   */
  private async refreshAll(): Promise<void> {
    const stale = await this.refreshContainers();
    const limit = this.options.readLimit ?? ((job) => job());
    const read = (async () => {
      await limit(this.refreshImages);
      await limit(this.refreshNetworks);
      await limit(this.refreshVolumes);
      await this.inspectRows(stale);
    })();
    this.inventoryRead = Promise.all([this.inventoryRead, read]).then(() => {});
  }

  /** The safety net's next check, at a random moment between the min and max intervals. */
  private scheduleCheck(): void {
    if (this.stopped) return;
    const { refreshMinMs, refreshMaxMs } = this.options;
    const delay = refreshMinMs + Math.random() * (refreshMaxMs - refreshMinMs);
    this.refreshTimer = setTimeout(async () => {
      // an unhealthy node is re-probed sooner by kickRefresh, which resumes this schedule
      if ((await this.check()) || this.health !== 'unhealthy') this.scheduleCheck();
    }, delay);
  }

  /**
   * The safety net, one request: the engine's `/info`. Its events keep the cache current, so everything is
   * read again only when `/info`'s container counts disagree with the cache.
   */
  private check(): Promise<boolean> {
    return this.counted(async () => {
      const info = await this.readInfo();
      const { size, running, paused } = this.containers;
      if (info.Containers !== size || info.ContainersRunning !== running || info.ContainersPaused !== paused) {
        this.options.logger.debug(`node ${this.name}: /info counts ${info.Containers} containers, the cache ${size}: reading everything again`);
        await this.refreshAll();
      }
    });
  }

  /** Re-reads the specs and everything cached. */
  private resync(): Promise<boolean> {
    this.streamBroke = false;
    return this.counted(async () => {
      await this.refreshSpecs();
      await this.refreshAll();
    });
  }

  /** Runs an exchange whose outcome counts toward health; true when it worked. */
  private async counted(exchange: () => Promise<void>): Promise<boolean> {
    try {
      await exchange();
      this.noteSuccess();
      return true;
    } catch (err) {
      this.noteError(err);
      return false;
    }
  }

  /** Reads the container list again and inspects what changed (classic's `--refresh-on-node-filter`); counts toward health. */
  refreshContainerList(): Promise<boolean> {
    return this.counted(async () => this.inspectRows(await this.refreshContainers()));
  }

  /** Lists every container: new ones are cached from their row at once. Returns the rows to inspect (new or changed). */
  private async refreshContainers(): Promise<ContainerSummary[]> {
    const listedAt = Date.now();
    const rows = await this.client.json<ContainerSummary[]>('containers/json', { all: 1 });
    const seen = new Set(rows.map((r) => r.Id));
    // gone from the engine; but not one read after this listing began (a create that just landed)
    for (const [id, cached] of this.containers) if (!seen.has(id) && cached.readAt < listedAt) this.forgetContainer(id);
    const stale = rows.filter((row) => {
      const cached = this.containers.get(row.Id);
      if (cached && !cached.partial && cached.summary.State === row.State) {
        cached.summary = row;
        cached.listed = undefined; // the served row is made again from the new one
        return false;
      }
      if (!cached && !this.removed.has(row.Id)) this.containers.set(row.Id, { summary: row, inspect: rowInspect(row), readAt: listedAt, partial: true });
      return true;
    });
    return stale;
  }

  private async inspectRows(rows: ContainerSummary[]): Promise<void> {
    const limit = this.options.readLimit ?? ((job) => job());
    for (let i = 0; i < rows.length && !this.stopped; i += INSPECT_CONCURRENCY) {
      await Promise.all(rows.slice(i, i + INSPECT_CONCURRENCY).map((row) => limit(() => this.inspectInto(row)).catch((err) => this.noteError(err))));
    }
  }

  private remember(row: ContainerSummary, inspect: ContainerInspect): void {
    if (!this.removed.has(row.Id)) this.containers.set(row.Id, { summary: row, inspect: keptInspect(inspect, this.options.keepWhole?.(inspect) ?? false), readAt: Date.now() });
  }

  private async inspectInto(row: ContainerSummary): Promise<void> {
    try {
      this.remember(row, await this.client.json<ContainerInspect>(`containers/${row.Id}/json`));
    } catch (err) {
      if (err instanceof EngineCallError && err.status === 404) this.forgetContainer(row.Id);
      else throw err;
    }
  }

  /** Drops a container the engine removed, for good (container IDs are never reused). */
  forgetContainer(id: string): void {
    this.containers.delete(id);
    this.removed.add(id);
    if (this.removed.size > MAX_REMOVED_REMEMBERED) this.removed.delete(this.removed.values().next().value!);
  }

  /** Re-reads one container (list row and inspect); drops it when the engine no longer has it. */
  refreshContainer(id: string): Promise<void> {
    let refresh = this.containerRefreshes.get(id);
    if (!refresh) {
      refresh = coalesce(async () => {
        // both at once: this is on every create's and every state change's way back to the client
        const [rows, inspect] = await Promise.all([
          this.client.json<ContainerSummary[]>('containers/json', { all: 1, filters: JSON.stringify({ id: [id] }) }),
          this.client.json<ContainerInspect>(`containers/${id}/json`).catch((err) => {
            if (err instanceof EngineCallError && err.status === 404) return undefined;
            throw err;
          }),
        ]);
        const row = rows.find((r) => r.Id === id);
        if (row && inspect) this.remember(row, inspect);
        else this.forgetContainer(id);
      }, (e) => this.noteError(e));
      this.containerRefreshes.set(id, refresh);
    }
    return refresh().finally(() => this.containerRefreshes.delete(id));
  }

  /** Follows `/events`, resuming from the last event seen so a reconnect loses nothing. */
  private followEvents(): void {
    if (this.stopped || this.eventsStream) return;
    const since = this.lastEventNano !== undefined
      ? `${this.lastEventNano / 1_000_000_000n}.${(this.lastEventNano % 1_000_000_000n).toString().padStart(9, '0')}`
      : this.info?.SystemTime ? String(Date.parse(this.info.SystemTime) / 1000) : undefined;
    const call = this.client.follow('events', { since });
    this.eventsStream = call;
    let ended = false;
    const reconnect = (err?: Error) => {
      if (ended) return;
      ended = true;
      call.abort();
      this.eventsStream = undefined;
      if (this.stopped) return;
      this.streamBroke = true;
      if (err) this.noteError(err);
      this.eventFailures++;
      const delay = Math.min(this.eventFailures * 1000, MAX_EVENT_BACKOFF_MS);
      this.eventsTimer = setTimeout(() => this.followEvents(), delay);
    };
    call.response.then((res) => {
      if (res.statusCode !== 200) return reconnect(new Error(`events stream answered ${res.statusCode}`));
      this.eventFailures = 0;
      if (this.health === 'healthy') this.failures = 0;
      if (this.streamBroke) void this.resync();
      readJsonLines<DockerEvent>(res, (event, line) => this.onEvent(event, line), (line) => this.options.logger.warn(`node ${this.name}: bad event line ${line.slice(0, 200)}`));
      res.on('error', (err) => reconnect(err));
      res.on('end', () => reconnect(new Error('events stream closed by the engine')));
      res.on('close', () => reconnect(new Error('events stream closed by the engine')));
    }, reconnect);
  }

  private onEvent(event: DockerEvent, raw: string): void {
    const timeNano = exactTimeNano(raw, event.time);
    this.lastEventNano = timeNano;
    const action = (event.Action ?? event.status ?? '').split(':')[0]!;
    const actorId = event.Actor?.ID ?? event.id ?? '';
    switch (event.Type ?? 'container') {
      case 'container':
        if (action === 'destroy') this.forgetContainer(actorId);
        // a create says only that the container exists: a copy cached or being read already knows that
        else if (action === 'create' && (this.containers.get(actorId) || this.containerRefreshes.has(actorId))) break;
        else if (!QUIET_CONTAINER_ACTIONS.has(action)) void this.refreshContainer(actorId);
        if (action === 'commit') void this.refreshImages();
        break;
      case 'image':
        void this.refreshImages();
        void this.refreshInfo(); // /info counts images (intermediate ones too) as the node reports them
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
        if (action === 'reload') void this.readInfo().catch((e) => this.noteError(e));
        break;
    }
    this.emit('event', this, { event, raw, timeNano } satisfies EngineEvent);
  }

  /** Any successful exchange: the node is healthy. */
  noteSuccess(): void {
    this.failures = 0;
    this.lastError = undefined;
    this.updatedAt = new Date();
    this.setHealth('healthy');
  }

  /** A failed exchange; connection failures count toward unhealthy, engine error answers do not. */
  noteError(err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    if (!isConnectionError(err) && err instanceof EngineCallError) {
      this.options.logger.warn(`node ${this.name}: ${message}`);
      return;
    }
    this.failures++;
    this.lastError = message;
    this.options.logger.debug(`node ${this.name}: failure ${this.failures}: ${message}`);
    if (this.health === 'healthy' && this.failures >= this.options.failureRetry) this.setHealth('unhealthy');
    if (this.health === 'unhealthy') this.kickRefresh();
  }

  /** While unhealthy, probe sooner than the safety-net interval so the node comes back promptly. */
  private kickRefresh(): void {
    if (this.stopped || this.probing) return;
    this.probing = true;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(async () => {
      this.probing = false;
      if (await this.resync()) {
        this.followEvents();
        this.scheduleCheck();
      }
    }, Math.min(1000 * this.failures, this.options.refreshMinMs));
  }

  private setHealth(next: NodeHealth): void {
    if (this.health === next) return;
    const previous = this.health;
    this.health = next;
    if (previous !== 'pending' || next !== 'healthy') this.options.logger.warn(`node ${this.name} (${this.addr}) is now ${next}`);
    this.emit('health', this, previous);
  }
}
