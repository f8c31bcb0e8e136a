import test from 'ava';
import { idleConnectionMs, openFileLimit } from '../../core/cluster/file-budget.js';

test('idle engine connections are kept past the next check while two files per node fit the limit', (t) => {
  const limit = openFileLimit();
  t.true(limit > 0, `limit ${limit}`);
  t.is(idleConnectionMs(10, 40_000), 40_000);
  if (limit === Infinity) return t.pass('no limit here');
  // a cluster whose event streams and idle connections would not fit: closed after a second
  t.is(idleConnectionMs(Math.ceil(limit / 2), 40_000), 1000);
  t.is(idleConnectionMs(Math.floor((limit - 1024) / 2), 40_000), 40_000);
});
