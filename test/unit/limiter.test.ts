import test from 'ava';
import { limiter } from '../../core/cluster/limiter.js';

/** Runs `jobs` jobs through `limit`, each until released; the most seen running at once. */
async function mostAtOnce(limit: ReturnType<typeof limiter>, jobs: number): Promise<number> {
  let running = 0;
  let most = 0;
  await Promise.all(
    Array.from({ length: jobs }, () =>
      limit(async () => {
        most = Math.max(most, ++running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running--;
      }),
    ),
  );
  return most;
}

test('a limiter runs at most its number of jobs at once', async (t) => {
  t.is(await mostAtOnce(limiter(3), 10), 3);
});

test('a limiter whose bound is asked anew follows it: the cluster grew, the bound moved', async (t) => {
  let bound = 2;
  const limit = limiter(() => bound);
  t.is(await mostAtOnce(limit, 8), 2);
  bound = Infinity;
  t.is(await mostAtOnce(limit, 8), 8);
});
