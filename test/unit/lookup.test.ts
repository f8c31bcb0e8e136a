import test from 'ava';
import { DockerError } from '../../core/errors.js';
import { resolveContainer } from '../../core/cluster/lookup.js';

const web = { id: 'a'.repeat(12) + '1'.repeat(52), name: 'web', nodeName: 'node1' };
const db = { id: 'a'.repeat(12) + '2'.repeat(52), name: 'db', nodeName: 'node2' };
const twin = { id: 'b'.repeat(64), name: 'web', nodeName: 'node3' };

test('full ID, name in every form, unique prefix', (t) => {
  t.is(resolveContainer(web.id, [web, db]), web);
  for (const ref of ['web', '/web', 'node1/web', '/node1/web']) t.is(resolveContainer(ref, [web, db]), web, ref);
  t.is(resolveContainer('aaaaaaaaaaaa2', [web, db]), db);
});

test('a name beats an ID prefix, as in Docker', (t) => {
  const named = { id: 'c'.repeat(64), name: 'aaaa', nodeName: 'node1' };
  t.is(resolveContainer('aaaa', [web, db, named]), named);
});

test("ambiguous prefixes and names are Docker's client errors; unknown is 404", (t) => {
  const ambiguous = t.throws(() => resolveContainer('aaaa', [web, db]), { instanceOf: DockerError });
  t.is(ambiguous!.status, 400);
  t.is(ambiguous!.message, 'multiple IDs found with provided prefix: aaaa');
  const twice = t.throws(() => resolveContainer('web', [web, twin]), { instanceOf: DockerError });
  t.is(twice!.status, 400);
  t.regex(twice!.message, /node1, node3/);
  t.is(resolveContainer('node3/web', [web, twin]), twin);
  const missing = t.throws(() => resolveContainer('nope', [web]), { instanceOf: DockerError });
  t.is(missing!.status, 404);
  t.is(missing!.message, 'No such container: nope');
});
