import test from 'ava';
import { FakeFleet } from '../../bench/fake-fleet.js';
import { runScale } from '../../bench/scale.js';
import { SkepProcess } from '../harness/skep.js';

// The benchmark's instruments, checked: the fake fleet must look like engines to Skep and to the docker CLI,
// and a short scale run must measure what it says. (No timing is asserted: targets live in `npm run bench`.)

test.serial('Skep fronts the fake fleet as it fronts engines: every container listed with its node, creates placed', async (t) => {
  const fleet = await FakeFleet.start({ engines: 3, containersPerEngine: 4 });
  const skep = await SkepProcess.start([fleet.addresses.join(',')], { nodes: 3 });
  try {
    const ps = await skep.docker(['ps', '-a', '--format', '{{.Names}}']);
    t.is(ps.code, 0, ps.stderr);
    t.deepEqual(ps.stdout.trim().split('\n').sort(), fleet.engines.flatMap((e) => [0, 1, 2, 3].map((n) => `${e.name}/${e.name}-c${n}`)).sort());
    const created = await skep.docker(['create', '--name', 'bench-smoke', 'busybox', 'true']);
    t.is(created.code, 0, created.stderr);
    const node = await skep.docker(['inspect', '-f', '{{.Node.Name}}', 'bench-smoke']);
    t.true(fleet.engines.some((e) => e.name === node.stdout.trim() && [...e.containers.values()].some((c) => c.name === 'bench-smoke')));
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
  t.deepEqual(result.creates.map((c) => [c.concurrency, c.ms.count]), [[1, 10], [16, 10]]);
  t.true(result.rssSettledMiB > 0 && result.creates.every((c) => c.perSecond > 0));
});
