import test from 'ava';
import { connectsAtOnce, idleConnectionMs, openFileLimit } from '../../core/cluster/file-budget.js';

test('idle engine connections are kept past the next check while two files per node fit the limit', (t) => {
  const limit = openFileLimit();
  t.true(limit > 0, `limit ${limit}`);
  t.is(idleConnectionMs(10, 40_000), 40_000);
  if (limit === Infinity) return t.pass('no limit here');
  // a cluster whose event streams and idle connections would not fit: closed after a second
  t.is(idleConnectionMs(Math.ceil(limit / 2), 40_000), 1000);
  t.is(idleConnectionMs(Math.floor((limit - 1024) / 2), 40_000), 40_000);
});

test('first contacts are bounded only where two files per node do not fit the limit', (t) => {
  t.is(connectsAtOnce(5000, 20_000), Infinity);
  // 10,000 event streams hold half of 20,000 files; contacts and their idle connections share the rest
  const bound = connectsAtOnce(10_000, 20_000);
  t.is(bound, 4488);
  t.true(10_000 + 2 * bound + 1024 <= 20_000);
  t.is(connectsAtOnce(50_000, 20_000), 16, 'past the limit, still some');
});
