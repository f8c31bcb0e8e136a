import type { ContainerInspect, ContainerSummary } from './docker-types.js';

/**
 * One container as the cache holds it:
 * the engine's list row and what it keeps of the inspect document.
 */
export interface CachedContainer {
  summary: ContainerSummary;
  inspect: ContainerInspect;
  /** When the cache last read it (ms): a full listing that began earlier cannot know it. */
  readAt: number;
  /** Known from the list row only: its inspect document is still being read. */
  partial?: true;
  /**
   * Its row of the container list as last served, and what it was made from
   * (the API layer keeps it).
   */
  listed?: {
    status: string;
    health: string;
    specs: number;
    until: number;
    row: Record<string, unknown>;
  };
}

/**
 * A change to one node's cache: the container before (absent when new)
 * and after (absent when gone).
 */
export type CacheChange = (
  before: CachedContainer | undefined,
  after: CachedContainer | undefined,
) => void;

/**
 * The fields of an inspect document the manager reads (names, state, what placement reserves, host
 * ports, exec IDs). A whole document is ~5 KB in memory, so at 30,000 containers only these are
 * kept, unless `whole` asks for everything (a container the rescheduler may have to create again
 * from its config).
 */
export function keptInspect(
  inspect: ContainerInspect,
  whole: boolean,
  row?: ContainerSummary,
): ContainerInspect {
  if (whole) return inspect;
  const { Health, ...state } = inspect.State;
  const config = (inspect.Config ?? {}) as Record<string, unknown>;
  const host = (inspect.HostConfig ?? {}) as Record<string, unknown>;
  const labels = config.Labels as Record<string, string> | undefined;
  return {
    // the row's own copies where they are the same
    // (a third of the cache's strings at 30,000 containers)
    Id: row?.Id === inspect.Id ? row.Id : inspect.Id,
    Name: inspect.Name,
    Created: inspect.Created,
    State: Health ? { ...state, Health: { Status: Health.Status } } : state,
    Config: {
      Image: config.Image as string,
      Labels: row && sameLabels(row.Labels ?? undefined, labels) ? row.Labels! : labels!,
      StopTimeout: config.StopTimeout as number,
      ExposedPorts: config.ExposedPorts,
    },
    HostConfig: {
      Memory: host.Memory as number,
      CpuShares: host.CpuShares as number,
      PortBindings: host.PortBindings,
      NetworkMode: host.NetworkMode,
    },
    ExecIDs: inspect.ExecIDs,
  };
}

function sameLabels(
  a: Record<string, string> | undefined,
  b: Record<string, string> | undefined,
): boolean {
  if (!a || !b) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}

/**
 * The container's own name among a list row's names
 * (the others are link aliases, `/other/alias`).
 */
function ownName(names: string[] | undefined): string {
  return names?.find((n) => n.lastIndexOf('/') === 0) ?? names?.[0] ?? '';
}

/**
 * What a list row alone says in an inspect document's shape, held until the inspect is read:
 * a node can serve lists and lookups as soon as its container list is in. Reservations count from
 * the inspect.
 */
export function rowInspect(row: ContainerSummary): ContainerInspect {
  const up = row.State === 'running' || row.State === 'paused' || row.State === 'restarting';
  return {
    Id: row.Id,
    Name: ownName(row.Names),
    State: {
      Status: row.State,
      Running: up,
      Paused: row.State === 'paused',
      Restarting: row.State === 'restarting',
      ExitCode: 0,
      StartedAt: '',
      FinishedAt: '',
    },
    Config: { Image: row.Image, Labels: row.Labels ?? {} },
    HostConfig: {
      NetworkMode: (row.HostConfig as { NetworkMode?: string } | undefined)?.NetworkMode,
    },
  };
}

/**
 * One node's containers by ID, with running totals of what they reserve and of their states,
 * so that placement and `/info` read them in O(1) instead of summing every container on every
 * call.
 */
export class ContainerCache {
  private readonly byId = new Map<string, CachedContainer>();
  /**
   * CpuShares and memory that the node's containers reserve
   * (stopped ones too: classic swarm's rule).
   */
  cpuShares = 0;
  memory = 0;
  running = 0;
  paused = 0;
  /**
   * Counts changes: what was made from the cache before (a node's view)
   * is out of date when it moved.
   */
  revision = 0;
  /** Told of every change (the cluster's name and ID index listens). */
  onChange?: CacheChange;

  get size(): number {
    return this.byId.size;
  }

  get(id: string): CachedContainer | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<CachedContainer> {
    return this.byId.values();
  }

  entries(): IterableIterator<[string, CachedContainer]> {
    return this.byId.entries();
  }

  [Symbol.iterator](): IterableIterator<[string, CachedContainer]> {
    return this.byId.entries();
  }

  set(id: string, cached: CachedContainer): void {
    const before = this.byId.get(id);
    if (before) this.tally(before, -1);
    this.byId.set(id, cached);
    this.tally(cached, 1);
    this.revision++;
    this.onChange?.(before, cached);
  }

  delete(id: string): boolean {
    const before = this.byId.get(id);
    if (!before) return false;
    this.byId.delete(id);
    this.tally(before, -1);
    this.revision++;
    this.onChange?.(before, undefined);
    return true;
  }

  private tally({ inspect }: CachedContainer, sign: 1 | -1): void {
    this.cpuShares += sign * (inspect.HostConfig?.CpuShares ?? 0);
    this.memory += sign * (inspect.HostConfig?.Memory ?? 0);
    if (inspect.State.Paused) this.paused += sign;
    else if (inspect.State.Running) this.running += sign;
  }
}
