/**
 * Wraps an async job so that calls during a run collapse into one more run after it: a burst of
 * engine events becomes at most two refreshes, and the last one always sees the latest state.
 */
export function coalesce(
  job: () => Promise<void>,
  onError: (err: unknown) => void,
): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  const run = async (): Promise<void> => {
    do {
      again = false;
      try {
        await job();
      } catch (err) {
        onError(err);
      }
    } while (again);
  };
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = run().finally(() => {
      running = undefined;
    });
    return running;
  };
}
