import { EventEmitter } from 'node:events';
import type { Request } from 'got';
import type { ResolvedConfig } from '../../config/types.js';
import type { Logger } from '../log.js';
import type { ContainerConfig, NodeHealth } from '../pipeline-types.js';
import type { EngineAddress } from './address.js';
import { coalesce } from './coalesce.js';
import type { ContainerInspect, ContainerSummary, DockerEvent, DockerInfo, DockerVersion, ImageSummary } from './docker-types.js';
import { EngineCallError, EngineClient, isConnectionError } from './engine-client.js';
import { exactTimeNano, readJsonLines } from './event-stream.js';

/** The engine settings of the configuration, where to log, and TLS towards engines (the cluster's and per node). */
export type EngineOptions = ResolvedConfig['engine'] & { logger: Logger; tls?: ResolvedConfig['engineTls'] };

/** One container as the cache holds it: the engine's list row and its inspect document, read together. */
export interface CachedContainer {
  summary: ContainerSummary;
  inspect: ContainerInspect;
  /** When the cache last read it (ms): a full listing that began earlier cannot know it. */
  readAt: number;
}

/** A create placed on an engine and not yet in its cache, with what it holds there meanwhile. */
export interface PendingCreate {
  name?: string;
  config: ContainerConfig;
  reserve: { cpus: number; memory: number };
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
const INSPECT_CONCURRENCY = 8;
const MAX_REMOVED_REMEMBERED = 4096;

/**
 * One Docker engine: its specs, a cached copy of its containers, images, networks and volumes kept
 * current from its `/events` stream, a jittered refresh as a safety net, and its health.
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
  readonly containers = new Map<string, CachedContainer>();
  images: ImageSummary[] = [];
  networks: Record<string, unknown>[] = [];
  volumes: Record<string, unknown>[] = [];
  /** Creates placed on this engine and not yet in the cache: placement counts them as containers. */
  readonly pending = new Set<PendingCreate>();

  private stopped = false;
  /** A quick re-probe of an unhealthy engine is scheduled. */
  private probing = false;
  private refreshTimer?: NodeJS.Timeout;
  private eventsStream?: Request;
  private eventsTimer?: NodeJS.Timeout;
  private eventFailures = 0;
  private lastEventNano?: bigint;
  private readonly containerRefreshes = new Map<string, () => Promise<void>>();
  /** IDs of removed containers: a refresh that was under way when one went must not bring it back. */
  private readonly removed = new Set<string>();
  readonly refreshImages = coalesce(async () => { this.images = await this.client.json<ImageSummary[]>('images/json'); }, (e) => this.noteError(e));
  readonly refreshInfo = coalesce(() => this.refreshSpecs(), (e) => this.noteError(e));
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
    this.client = new EngineClient(address, { requestMs: options.requestTimeoutMs, connectMs: options.connectTimeoutMs }, tls);
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
    this.eventsStream?.destroy();
  }

  /** Reads specs and everything the cache holds, then follows events. Retries with backoff until it works. */
  private async connect(): Promise<void> {
    try {
      await this.refreshSpecs();
      this.followEvents();
      await this.refreshAll();
      this.noteSuccess();
      this.options.logger.info(`node ${this.name} (${this.addr}) connected: ${this.containers.size} containers`);
      this.scheduleRefresh();
    } catch (err) {
      this.noteError(err);
      if (this.stopped) return;
      const delay = Math.min(1000 * 2 ** Math.min(this.failures - 1, 10), this.options.refreshMaxMs);
      this.refreshTimer = setTimeout(() => void this.connect(), delay);
    }
  }

  private async refreshSpecs(): Promise<void> {
    const [version, info] = await Promise.all([this.client.json<DockerVersion>('version'), this.client.json<DockerInfo>('info')]);
    if (!info.NCPU || !info.MemTotal) {
      throw new Error(`${this.addr} reports no CPUs or memory: make sure it is a Docker engine, not a swarm manager`);
    }
    if (info.SystemTime) this.clockSkewMs = Date.parse(info.SystemTime) - Date.now();
    const apiChanged = version.ApiVersion !== this.version?.ApiVersion || version.MinAPIVersion !== this.version?.MinAPIVersion;
    this.version = version;
    this.info = info;
    if (apiChanged) this.emit('api-version', this);
  }

  private async refreshAll(): Promise<void> {
    await Promise.all([this.refreshContainers(), this.refreshImages(), this.refreshNetworks(), this.refreshVolumes()]);
  }

  /** The safety net: a full re-read at a random moment between the min and max intervals. */
  private scheduleRefresh(): void {
    if (this.stopped) return;
    const { refreshMinMs, refreshMaxMs } = this.options;
    const delay = refreshMinMs + Math.random() * (refreshMaxMs - refreshMinMs);
    this.refreshTimer = setTimeout(async () => {
      // an unhealthy node is re-probed sooner by kickRefresh, which resumes this schedule
      if ((await this.resync()) || this.health !== 'unhealthy') this.scheduleRefresh();
    }, delay);
  }

  /** Re-reads the specs and everything cached; the outcome counts toward health. */
  private async resync(): Promise<boolean> {
    try {
      await this.refreshSpecs();
      await this.refreshAll();
      this.noteSuccess();
      return true;
    } catch (err) {
      this.noteError(err);
      return false;
    }
  }

  /** Lists every container; inspects only new ones and those whose state changed since the last read. */
  private async refreshContainers(): Promise<void> {
    const listedAt = Date.now();
    const rows = await this.client.json<ContainerSummary[]>('containers/json', { all: 1 });
    const seen = new Set(rows.map((r) => r.Id));
    // gone from the engine; but not one read after this listing began (a create that just landed)
    for (const [id, cached] of this.containers) if (!seen.has(id) && cached.readAt < listedAt) this.forgetContainer(id);
    const stale = rows.filter((row) => {
      const cached = this.containers.get(row.Id);
      if (cached && cached.summary.State === row.State) {
        cached.summary = row;
        return false;
      }
      return true;
    });
    for (let i = 0; i < stale.length; i += INSPECT_CONCURRENCY) {
      await Promise.all(stale.slice(i, i + INSPECT_CONCURRENCY).map((row) => this.inspectInto(row)));
    }
  }

  private async inspectInto(row: ContainerSummary): Promise<void> {
    try {
      const inspect = await this.client.json<ContainerInspect>(`containers/${row.Id}/json`);
      if (!this.removed.has(row.Id)) this.containers.set(row.Id, { summary: row, inspect, readAt: Date.now() });
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
        const rows = await this.client.json<ContainerSummary[]>('containers/json', { all: 1, filters: JSON.stringify({ id: [id] }) });
        const row = rows.find((r) => r.Id === id);
        if (row) await this.inspectInto(row);
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
    const stream = this.client.stream('GET', 'events', { query: { since } });
    this.eventsStream = stream;
    stream.on('response', (res: { statusCode: number }) => {
      if (res.statusCode === 200) {
        this.eventFailures = 0;
        if (this.health === 'healthy') this.failures = 0;
      } else stream.destroy(new Error(`events stream answered ${res.statusCode}`));
    });
    readJsonLines<DockerEvent>(stream, (event, line) => this.onEvent(event, line), (line) => this.options.logger.warn(`node ${this.name}: bad event line ${line.slice(0, 200)}`));
    let ended = false;
    const reconnect = (err?: Error) => {
      if (ended) return;
      ended = true;
      this.eventsStream = undefined;
      if (this.stopped) return;
      if (err) this.noteError(err);
      this.eventFailures++;
      const delay = Math.min(this.eventFailures * 1000, MAX_EVENT_BACKOFF_MS);
      this.eventsTimer = setTimeout(() => this.followEvents(), delay);
    };
    stream.on('error', (err) => reconnect(err));
    stream.on('end', () => reconnect(new Error('events stream closed by the engine')));
  }

  private onEvent(event: DockerEvent, raw: string): void {
    const timeNano = exactTimeNano(raw, event.time);
    this.lastEventNano = timeNano;
    const action = (event.Action ?? event.status ?? '').split(':')[0]!;
    const actorId = event.Actor?.ID ?? event.id ?? '';
    switch (event.Type ?? 'container') {
      case 'container':
        if (action === 'destroy') this.forgetContainer(actorId);
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
        if (action === 'reload') void this.refreshSpecs().catch((e) => this.noteError(e));
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
        this.scheduleRefresh();
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
