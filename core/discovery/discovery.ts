/**
 * The seam for discovery backends (static lists, files, etcd; a third party can add its own):
 * a backend reports the full list of engine addresses, now and whenever it changes. The cluster
 * diffs the lists.
 */
export interface Discovery {
  /**
   * Starts watching; `onEntries` gets the whole current list each time.
   * Returns a function that stops.
   */
  watch(onEntries: (entries: string[]) => void): () => void;
  /** The list as it is now (`swarm list`). */
  list(): Promise<string[]>;
}
