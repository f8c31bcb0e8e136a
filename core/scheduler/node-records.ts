import { readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Keys kept per node until the node is seen again, that must outlive the manager: the
 * rescheduler's originals moved off a failed node (container IDs) and creates given up on a node
 * (swarm IDs). In a file beside the state file, or in etcd under replication, so a restarted
 * manager or a new primary goes on from them.
 */
export interface NodeRecords {
  add(node: string, key: string): Promise<void>;
  delete(node: string, key: string): Promise<void>;
  /**
   * The keys kept for `node`, forgotten as they are read (the node is back and is being cleaned).
   */
  take(node: string): Promise<Set<string>>;
  /** Every node's keys. */
  all(): Promise<Map<string, Set<string>>>;
}

/** Records in memory: a manager's own, and the shape of the file's sections. */
export class MemoryNodeRecords implements NodeRecords {
  constructor(
    protected readonly records = new Map<string, Set<string>>(),
    /** Told after every change (the file writes itself then). */
    private readonly changed: () => Promise<void> = async () => {},
  ) {}

  async add(node: string, key: string): Promise<void> {
    const keys = this.records.get(node) ?? new Set();
    if (keys.has(key)) return;
    this.records.set(node, keys.add(key));
    await this.changed();
  }

  async delete(node: string, key: string): Promise<void> {
    const keys = this.records.get(node);
    if (!keys?.delete(key)) return;
    if (keys.size === 0) this.records.delete(node);
    await this.changed();
  }

  async take(node: string): Promise<Set<string>> {
    const keys = this.records.get(node) ?? new Set<string>();
    if (this.records.delete(node)) await this.changed();
    return keys;
  }

  async all(): Promise<Map<string, Set<string>>> {
    return new Map([...this.records].map(([node, keys]) => [node, new Set(keys)]));
  }
}

type FileShape = Record<string, Record<string, string[]>>;

/**
 * Records in one JSON file, one section per kind (`moved`, `abandoned`), each `{ node: [keys] }`:
 * read once at start, written whole on each change to a temporary file then renamed, one write at
 * a time. A file that cannot be read starts empty, with the reason logged by the caller; what it
 * held is then only as safe as before.
 */
export class FileNodeRecords {
  private readonly sections = new Map<string, Map<string, Set<string>>>();
  private writing: Promise<void> = Promise.resolve();
  /** Why the file could not be read at start, if it could not. */
  readonly unreadable?: string;

  constructor(readonly path: string) {
    try {
      const raw = JSON.parse(readFileSync(path, 'utf8')) as FileShape;
      for (const [kind, nodes] of Object.entries(raw ?? {})) {
        const section = new Map<string, Set<string>>();
        for (const [node, keys] of Object.entries(nodes ?? {}))
          if (Array.isArray(keys))
            section.set(node, new Set(keys.filter((k) => typeof k === 'string')));
        this.sections.set(kind, section);
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.unreadable = (err as Error).message;
    }
  }

  /** One kind of record, kept in this file. */
  section(kind: string): NodeRecords {
    const records = this.sections.get(kind) ?? new Map<string, Set<string>>();
    this.sections.set(kind, records);
    return new MemoryNodeRecords(records, () => this.write());
  }

  private write(): Promise<void> {
    const shape: FileShape = {};
    for (const [kind, nodes] of this.sections)
      if (nodes.size > 0)
        shape[kind] = Object.fromEntries([...nodes].map(([n, keys]) => [n, [...keys]]));
    const text = JSON.stringify(shape, null, 2) + '\n';
    const temporary = `${this.path}.${process.pid}.tmp`;
    const next = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true });
      await writeFile(temporary, text);
      await rename(temporary, this.path);
    });
    this.writing = next.catch(() => {});
    return next;
  }
}

/**
 * Where a manager without replication keeps its records: beside its state file
 * (`skep-nodes.stale.json`).
 */
export const recordsFileFor = (stateFile: string) => stateFile.replace(/(\.json)?$/, '.stale.json');
