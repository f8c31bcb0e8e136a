/**
 * The seam for discovery backends: a backend reports the full list of engine addresses, now and whenever
 * it changes. The cluster diffs the lists. Static lists report once; file and KV backends come later.
 */
export interface Discovery {
  /** Starts watching; `onEntries` gets the whole current list each time. Returns a function that stops. */
  watch(onEntries: (entries: string[]) => void): () => void;
}
