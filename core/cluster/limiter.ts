/** A job that runs when the limiter lets it. */
export type Limit = <T>(job: () => Promise<T>) => Promise<T>;

/**
 * Runs at most `max` jobs at once; the rest wait their turn, first come first served, and none
 * starts before `ready()` settles. Shared by every node's background reads, so 1,000 nodes
 * connecting at once open a bounded number of connections, not 8,000, and their reads give way to
 * the connects themselves.
 */
export function limiter(max: number, ready: () => Promise<unknown> = async () => {}): Limit {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    await ready();
    if (running >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
