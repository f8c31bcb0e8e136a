import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DockerError } from '../errors.js';

/**
 * Docker's words for a node's availability:
 * active takes containers, pause takes none, drain moves them off.
 */
export const AVAILABILITIES = ['active', 'pause', 'drain'] as const;
export type Availability = (typeof AVAILABILITIES)[number];

/**
 * What an operator sets on the manager's side of a node (`swarm node update`),
 * never on its engine.
 */
export interface NodeMaintenance {
  readonly availability: Availability;
  /**
   * Skep-side labels: constraints and `docker info` see them beside the engine's own,
   * and over them.
   */
  readonly labels: Readonly<Record<string, string>>;
}

export const ACTIVE: NodeMaintenance = Object.freeze({
  availability: 'active',
  labels: Object.freeze({}),
});

/** Every node's maintenance, keyed by the node's address (as the config and discovery name it). */
export type MaintenanceState = Record<string, NodeMaintenance>;

/** Where the state outlives the manager: a file, or etcd under replication. */
export interface MaintenanceStore {
  load(): Promise<MaintenanceState>;
  save(state: MaintenanceState): Promise<void>;
  /** Calls back when another manager saved (a shared store); returns how to stop. */
  watch?(changed: () => void): Promise<() => void>;
}

/** A change asked for by `swarm node update` (or `POST /skep/nodes/NODE/update`). */
export interface MaintenanceChange {
  availability?: string;
  labelAdd?: Record<string, string>;
  labelRm?: string[];
}

/** The maintenance after a change; a bad value is Docker's 400 in the words dockerd uses for it. */
export function applyChange(current: NodeMaintenance, change: MaintenanceChange): NodeMaintenance {
  const { availability = current.availability, labelAdd = {}, labelRm = [] } = change;
  if (!(AVAILABILITIES as readonly string[]).includes(availability))
    throw new DockerError(
      400,
      `invalid availability "${availability}": it must be one of active, pause, drain`,
    );
  const labels: Record<string, string> = { ...current.labels };
  for (const key of labelRm) {
    if (!(key in labels)) throw new DockerError(404, `key ${key} doesn't exist in node's labels`);
    delete labels[key];
  }
  for (const [key, value] of Object.entries(labelAdd)) {
    if (key === '' || typeof value !== 'string')
      throw new DockerError(
        400,
        `invalid label ${JSON.stringify(key)}: labels are key=value strings`,
      );
    labels[key] = value;
  }
  return Object.freeze({
    availability: availability as Availability,
    labels: Object.freeze(labels),
  });
}

/**
 * A stored state read back; whatever is not a valid entry is dropped
 * (a hand-edited file must not stop the manager).
 */
export function parseState(raw: unknown): MaintenanceState {
  const state: MaintenanceState = {};
  if (raw === null || typeof raw !== 'object') return state;
  for (const [addr, entry] of Object.entries(
    raw as Record<string, { availability?: string; labels?: Record<string, unknown> }>,
  )) {
    try {
      const labels = Object.fromEntries(
        Object.entries(entry?.labels ?? {}).filter(([, v]) => typeof v === 'string'),
      ) as Record<string, string>;
      state[addr] = applyChange(ACTIVE, {
        availability: entry?.availability ?? 'active',
        labelAdd: labels,
      });
    } catch {
      // one bad entry: that node is active with no labels
    }
  }
  return state;
}

/**
 * The state in a JSON file: written whole to a temporary file, then renamed,
 * so a crash never leaves half of it.
 */
export class FileMaintenanceStore implements MaintenanceStore {
  constructor(readonly path: string) {}

  async load(): Promise<MaintenanceState> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw err;
    }
    try {
      return parseState(JSON.parse(text));
    } catch (err) {
      throw new Error(`${this.path} is not JSON: ${(err as Error).message}`);
    }
  }

  async save(state: MaintenanceState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, JSON.stringify(state, null, 2) + '\n');
    await rename(temporary, this.path);
  }
}

export class MemoryMaintenanceStore implements MaintenanceStore {
  constructor(private state: MaintenanceState = {}) {}
  async load(): Promise<MaintenanceState> {
    return this.state;
  }
  async save(state: MaintenanceState): Promise<void> {
    this.state = state;
  }
}
