/**
 * The seam for discovery backends (static lists, files, etcd, ZooKeeper; a third party can add
 * its own): a backend reports the full list of engine addresses, now and whenever it changes. The
 * cluster diffs the lists.
 */
export interface Discovery {
  /**
   * Starts watching; `onEntries` gets the whole current list each time.
   * Returns a function that stops.
   */
  watch(onEntries: (entries: string[]) => void): () => void;
  /** The list as it is now (`swarm list`). */
  list(): Promise<string[]>;
  /**
   * A registry's (`swarm join`): keeps `addr` registered, renewed every heartbeat; after the
   * returned stop, it lapses within about `ttlMs`. Resolves once the first registration is written.
   */
  register?(addr: string, ttlMs: number): Promise<() => void>;
}
