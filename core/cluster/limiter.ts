/** A job that runs when the limiter lets it. */
export type Limit = <T>(job: () => Promise<T>) => Promise<T>;

/** No bound: each job runs at once (where no limiter was given). */
export const unlimited: Limit = (job) => job();

/**
 * Runs at most `max` jobs at once (a number, or asked anew for each job where it follows the cluster's
 * size); the rest wait their turn, first come first served, and none starts before `ready()` settles.
 * Shared by every node's background reads, so 1,000 nodes connecting at once open a bounded number of
 * connections, not 8,000, and their reads give way to the connects themselves.
 */
export function limiter(
  max: number | (() => number),
  ready: () => Promise<unknown> = async () => {},
): Limit {
  const most = typeof max === 'number' ? () => max : max;
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(job: () => Promise<T>): Promise<T> => {
    await ready();
    if (running >= most()) await new Promise<void>((resolve) => waiting.push(resolve));
    running++;
    try {
      return await job();
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
}
