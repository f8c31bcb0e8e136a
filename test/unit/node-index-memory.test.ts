import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { NodeView } from '../../core/plugin-api.js';
import { noteChanges } from '../../core/node-index.js';
import { fakeNode } from '../harness/node-fixture.js';

// a collection on demand, for this file only (the flag must be set before the context asks for gc)
setFlagsFromString('--expose_gc');
const collect = runInNewContext('gc') as () => void;

test('a node list noted as changed does not keep the lists before it alive', async (t) => {
  // as ViewList does at every create: a copy of the last list with one node's view made again
  let list: readonly NodeView[] = [fakeNode('n0', {}), fakeNode('n1', {})];
  const first = new WeakRef(list);
  for (let i = 0; i < 100; i++) {
    const next = list.slice();
    next[i % 2] = fakeNode(`n${i % 2}`, {});
    noteChanges(next, list, [i % 2]);
    list = next;
  }
  // a WeakRef holds its target until the current job ends
  await new Promise((resolve) => setImmediate(resolve));
  collect();
  t.is(first.deref(), undefined, 'the first list is collected: the notes since do not chain it');
  t.is(list.length, 2);
});
