import { coalesce } from './coalesce.js';
import { ContainerCache, keptInspect, rowInspect } from './container-cache.js';
import type { ContainerInspect, ContainerSummary, ImageSummary } from './docker-types.js';
import { EngineCallError, type EngineClient } from './engine-client.js';
import { type Limit, unlimited } from './limiter.js';

/** Reads pipelined on one connection: a node of up to ~250 containers is read in one batch. */
const READS_PER_BATCH = 256;
const MAX_REMOVED_REMEMBERED = 4096;

/** One background read: where, and what to do with its answer or its failure. */
interface Read {
  path: string;
  take(result: unknown): void;
  failed(err: Error): void;
}

export interface InventoryOptions {
  /** Bounds the background reads (inspects, images, networks, volumes) across the cluster. */
  readLimit?: Limit;
  /**
   * Which containers' whole inspect documents to keep (the rest keep only what the manager reads).
   */
  keepWhole?: (inspect: ContainerInspect) => boolean;
}

/**
 * What one engine holds, as the manager caches it: its containers (listed, then inspected in the
 * background), images, networks and volumes, and the reads that keep them current. A failed read
 * goes to `report` (it counts toward the node's health there); the caller decides when to read.
 */
export class Inventory {
  readonly containers = new ContainerCache();
  /** Counts new image, network and volume lists: what was made from them before is out of date. */
  revision = 0;
  /** Told of each new list. */
  onChange?: () => void;
  private imageList: ImageSummary[] = [];
  private networkList: Record<string, unknown>[] = [];
  private volumeList: Record<string, unknown>[] = [];
  stopped = false;
  /**
   * The first full read (list, inspects, images, networks, volumes) has ended:
   * reservations are whole.
   */
  everRead = false;
  /**
   * Part of the last full read went unanswered (a connection refused or dropped, a timeout, an error
   * answer other than a container's 404): what it held is unknown, so the next health check reads
   * everything again rather than trust counts that agree.
   */
  incomplete = false;
  /**
   * The background reads of the node's inventory (inspects, images, networks, volumes) under way.
   */
  private reading: Promise<void> = Promise.resolve();
  /** How many full reads are under way (`reading` is then not settled). */
  private readsUnderWay = 0;
  private readonly containerRefreshes = new Map<string, () => Promise<void>>();
  /**
   * IDs of removed containers: a refresh that was under way when one went must not bring it back.
   */
  private readonly removed = new Set<string>();
  readonly refreshImages = coalesce(
    async () => void (this.images = await this.client.json<ImageSummary[]>('images/json')),
    (e) => this.report(e),
  );
  readonly refreshNetworks = coalesce(
    async () =>
      void (this.networks = await this.client.json<Record<string, unknown>[]>('networks')),
    (e) => this.report(e),
  );
  readonly refreshVolumes = coalesce(
    async () => {
      this.volumes =
        (await this.client.json<{ Volumes: Record<string, unknown>[] | null }>('volumes'))
          .Volumes ?? [];
    },
    (e) => this.report(e),
  );

  get images(): ImageSummary[] {
    return this.imageList;
  }
  set images(images: ImageSummary[]) {
    this.imageList = images;
    this.revision++;
    this.onChange?.();
  }
  get networks(): Record<string, unknown>[] {
    return this.networkList;
  }
  set networks(networks: Record<string, unknown>[]) {
    this.networkList = networks;
    this.revision++;
    this.onChange?.();
  }
  get volumes(): Record<string, unknown>[] {
    return this.volumeList;
  }
  set volumes(volumes: Record<string, unknown>[]) {
    this.volumeList = volumes;
    this.revision++;
    this.onChange?.();
  }

  constructor(
    private readonly client: EngineClient,
    private readonly options: InventoryOptions,
    private readonly report: (err: unknown) => void,
    /** Told once, when the first full read has ended. */
    private readonly firstRead: () => void = () => {},
  ) {}

  /**
   * Settles once what was listed so far is read:
   * every container inspected, images, networks, volumes.
   */
  settled(): Promise<void> {
    return this.reading;
  }

  /** A full read is under way (`settled` would wait). */
  get busy(): boolean {
    return this.readsUnderWay > 0;
  }

  /**
   * Lists the containers; the rest follows in the background, so that 1,000 nodes are served after
   * four requests each rather than after their 30,000 inspects. Placement waits for it (`settled`).
   */
  async readAll(): Promise<void> {
    const stale = await this.listContainers();
    this.readsUnderWay++;
    const read = (async () => {
      this.incomplete = !(await this.read([
        ...this.stockReads(),
        ...stale.map((row) => this.inspectRead(row)),
      ]).finally(() => this.readsUnderWay--));
      if (!this.everRead) {
        this.everRead = true;
        this.firstRead();
      }
    })();
    this.reading = Promise.all([this.reading, read]).then(() => {});
  }

  /**
   * Reads the container list again and inspects what changed
   * (classic's `--refresh-on-node-filter`).
   */
  async readContainers(): Promise<void> {
    await this.read((await this.listContainers()).map((row) => this.inspectRead(row)));
  }

  /**
   * Background reads, pipelined in batches on connections of their own, each batch one job of the
   * cluster's read limit: a node's whole inventory costs a connection and a write per batch,
   * not per container. Whether every read was answered.
   */
  private async read(reads: Read[]): Promise<boolean> {
    const limit = this.options.readLimit ?? unlimited;
    let answered = true;
    for (let i = 0; i < reads.length && !this.stopped; i += READS_PER_BATCH) {
      const batch = reads.slice(i, i + READS_PER_BATCH);
      await limit(() =>
        this.client.jsonEach<unknown>(
          batch.map((r) => r.path),
          (n, result) => {
            if (!(result instanceof Error)) return batch[n]!.take(result);
            // a container's 404 is an answer (it is gone); anything else leaves its read undone
            if (!(result instanceof EngineCallError && result.status === 404)) answered = false;
            batch[n]!.failed(result);
          },
        ),
      ).catch((err) => {
        answered = false;
        this.report(err);
      });
    }
    return answered;
  }

  /** The node's images, networks and volumes, read with its inspects. */
  private stockReads(): Read[] {
    const failed = (err: Error) => this.report(err);
    return [
      {
        path: 'images/json',
        take: (images) => void (this.images = images as ImageSummary[]),
        failed,
      },
      {
        path: 'networks',
        take: (networks) => void (this.networks = networks as Record<string, unknown>[]),
        failed,
      },
      {
        path: 'volumes',
        take: (volumes) =>
          void (this.volumes =
            (volumes as { Volumes: Record<string, unknown>[] | null }).Volumes ?? []),
        failed,
      },
    ];
  }

  /** One container's inspect: remembered, or forgotten when the engine no longer has it. */
  private inspectRead(row: ContainerSummary): Read {
    return {
      path: `containers/${row.Id}/json`,
      take: (inspect) => this.remember(row, inspect as ContainerInspect),
      failed: (err) =>
        err instanceof EngineCallError && err.status === 404
          ? this.forgetContainer(row.Id)
          : this.report(err),
    };
  }

  /**
   * Lists every container: new ones are cached from their row at once.
   * Returns the rows to inspect (new or changed).
   */
  private async listContainers(): Promise<ContainerSummary[]> {
    const listedAt = Date.now();
    const rows = await this.client.json<ContainerSummary[]>('containers/json', { all: 1 });
    const seen = new Set(rows.map((r) => r.Id));
    // gone from the engine; but not one read after this listing began (a create that just landed)
    for (const [id, cached] of this.containers)
      if (!seen.has(id) && cached.readAt < listedAt) this.forgetContainer(id);
    return rows.filter((row) => {
      const cached = this.containers.get(row.Id);
      if (cached && !cached.partial && cached.summary.State === row.State) {
        cached.summary = row;
        cached.listed = undefined; // the served row is made again from the new one
        return false;
      }
      if (!cached && !this.removed.has(row.Id))
        this.containers.set(row.Id, {
          summary: row,
          inspect: rowInspect(row),
          readAt: listedAt,
          partial: true,
        });
      return true;
    });
  }

  private remember(row: ContainerSummary, inspect: ContainerInspect): void {
    if (!this.removed.has(row.Id))
      this.containers.set(row.Id, {
        summary: row,
        inspect: keptInspect(inspect, this.options.keepWhole?.(inspect) ?? false, row),
        readAt: Date.now(),
      });
  }

  /** Drops a container the engine removed, for good (container IDs are never reused). */
  forgetContainer(id: string): void {
    this.containers.delete(id);
    this.removed.add(id);
    if (this.removed.size > MAX_REMOVED_REMEMBERED)
      this.removed.delete(this.removed.values().next().value!);
  }

  /** A read of this container is under way. */
  refreshing(id: string): boolean {
    return this.containerRefreshes.has(id);
  }

  /** Re-reads one container (list row and inspect); drops it when the engine no longer has it. */
  refreshContainer(id: string): Promise<void> {
    let refresh = this.containerRefreshes.get(id);
    if (!refresh) {
      refresh = coalesce(
        async () => {
          // both at once: this is on every create's and every state change's way back to the client
          const [rows, inspect] = await Promise.all([
            this.client.json<ContainerSummary[]>('containers/json', {
              all: 1,
              filters: JSON.stringify({ id: [id] }),
            }),
            this.client.json<ContainerInspect>(`containers/${id}/json`).catch((err) => {
              if (err instanceof EngineCallError && err.status === 404) return undefined;
              throw err;
            }),
          ]);
          const row = rows.find((r) => r.Id === id);
          if (row && inspect) this.remember(row, inspect);
          else this.forgetContainer(id);
        },
        (e) => this.report(e),
      );
      this.containerRefreshes.set(id, refresh);
    }
    return refresh().finally(() => this.containerRefreshes.delete(id));
  }
}
