import test from 'ava';
import { FakeFleet } from '../../bench/fake-fleet.js';
import { runScale } from '../../bench/scale.js';
import { SkepProcess } from '../harness/skep.js';

// The benchmark's instruments, checked: the fake fleet must look like engines to Skep and its clients,
// and a short scale run must measure what it says. (No timing is asserted: targets live in `npm run bench`.)

test.serial('Skep fronts the fake fleet as it fronts engines: every container listed with its node, creates placed', async (t) => {
  const fleet = await FakeFleet.start({ engines: 3, containersPerEngine: 4 });
  const skep = await SkepProcess.start([fleet.addresses.join(',')], { nodes: 3 });
  try {
    const rows = (await skep.getJson('/containers/json?all=1')) as { Names: string[] }[];
    t.deepEqual(rows.map((r) => r.Names[0]).sort(), fleet.engines.flatMap((e) => [0, 1, 2, 3].map((n) => `/${e.name}/${e.name}-c${n}`)).sort());
    const created = await fetch(`${skep.url}/containers/create?name=bench-smoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ Image: 'busybox', Cmd: ['true'] }),
    });
    t.is(created.status, 201, await created.clone().text());
    const inspect = (await skep.getJson('/containers/bench-smoke/json')) as { Node: { Name: string } };
    t.true(fleet.engines.some((e) => e.name === inspect.Node.Name && [...e.containers.values()].some((c) => c.name === 'bench-smoke')));
  } finally {
    await skep.stop();
    await fleet.stop();
  }
});

test.serial('a short scale run reports what it measured', async (t) => {
  const result = await runScale({ engines: 4, containersPerEngine: 5, idleSeconds: 1, idleWindowSeconds: 1, creates: 10 }, () => {});
  t.is(result.containers, 20);
  t.true(result.list.bytes > 20 * 500, 'the list holds every container row');
  t.true(result.info.bytes > 0 && result.inspect.bytes > 1000);
  t.deepEqual(
    result.creates.map((c) => [c.concurrency, c.ms.count]),
    [
      [1, 10],
      [16, 10],
    ],
  );
  t.true(result.rssSettledMiB > 0 && result.creates.every((c) => c.perSecond > 0));
});
