/**
 * What the rescheduler moved off each failed node, until the node returns: those originals are stale copies
 * then. Under replication it lives in etcd, so a new primary knows what the one before it moved.
 */
export interface MovedStore {
  add(node: string, containerId: string): Promise<void>;
  /** The containers moved off `node`, forgotten as they are read (the node is back and is being cleaned). */
  take(node: string): Promise<Set<string>>;
  /** The nodes something was moved off. */
  nodes(): Promise<string[]>;
}

/** The store of a manager without replication: its memory. */
export class MemoryMovedStore implements MovedStore {
  private readonly moved = new Map<string, Set<string>>();

  async add(node: string, containerId: string): Promise<void> {
    if (!this.moved.has(node)) this.moved.set(node, new Set());
    this.moved.get(node)!.add(containerId);
  }

  async take(node: string): Promise<Set<string>> {
    const ids = this.moved.get(node) ?? new Set<string>();
    this.moved.delete(node);
    return ids;
  }

  async nodes(): Promise<string[]> {
    return [...this.moved.keys()];
  }
}
