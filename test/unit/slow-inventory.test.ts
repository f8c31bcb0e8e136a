import test, { type ExecutionContext } from 'ava';
import { defaults } from '../../config/defaults.js';
import { waitFor } from '../harness/exec.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager } from '../harness/in-process.js';

// A node whose inventory reads stall (test/harness/fake-docker.ts's readsHang) must not hold every
// create in the cluster until the engine's request timeout: found by the overlapping chaos run, where
// the fake engine held a read open and a create waited 30 s behind it.
const REQUEST_TIMEOUT_MS = 10_000;

async function fleet(t: ExecutionContext, names: string[]): Promise<FakeDocker[]> {
  const fakes = await Promise.all(
    names.map((name) => FakeDocker.start({ name, images: ['busybox'] })),
  );
  t.teardown(() => Promise.all(fakes.map((f) => f.stop())));
  return fakes;
}

async function manager(t: ExecutionContext, fakes: FakeDocker[]) {
  const base = defaults().engine;
  const skep = await inProcessManager(fakes, {
    engine: {
      ...base,
      refreshMinMs: 300,
      refreshMaxMs: 500,
      failureRetry: 2,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      connectTimeoutMs: 1000,
    },
  });
  t.teardown(() => skep.stop());
  return skep;
}

const engine = (skep: Awaited<ReturnType<typeof manager>>, fake: FakeDocker) =>
  skep.manager.cluster.engines.get(fake.addr)!;

/** A create as `docker create` sends it: its status, where it went, and how long it took. */
async function timedCreate(skep: Awaited<ReturnType<typeof manager>>, name: string) {
  const began = Date.now();
  const res = await skep.call('POST', `/containers/create?name=${name}`, { Image: 'busybox' });
  const ms = Date.now() - began;
  const inspect = await skep.call('GET', `/containers/${name}/json`);
  return { status: res.status, ms, node: inspect.body?.Node?.Name as string | undefined };
}

test.serial(
  'a node that returns with reads that stall does not hold creates: they are answered at once',
  async (t) => {
    const [fake1, fake2] = (await fleet(t, ['fake1', 'fake2'])) as [FakeDocker, FakeDocker];
    const skep = await manager(t, [fake1, fake2]);
    await waitFor(
      'both inventories read',
      async () =>
        (engine(skep, fake1).inventoryRead && engine(skep, fake2).inventoryRead) || undefined,
      5000,
      20,
    );
    fake2.readsHang = true;
    await fake2.down();
    await waitFor(
      'fake2 to be seen down',
      async () => (engine(skep, fake2).health === 'unhealthy' ? true : undefined),
      5000,
      20,
    );
    await fake2.listen();
    await waitFor(
      'fake2 back, its inventory read again',
      async () =>
        engine(skep, fake2).health === 'healthy' && engine(skep, fake2).inventoryBusy
          ? true
          : undefined,
      5000,
      20,
    );
    const created = await timedCreate(skep, 'web');
    t.is(created.status, 201);
    t.true(created.ms < 2000, `answered in ${created.ms} ms`);
    fake2.readsHang = false;
  },
);

test.serial(
  'a node whose first read stalls is left out of placement once a short wait is over, not waited for until the engine times out',
  async (t) => {
    const [fake1, fake2] = (await fleet(t, ['fake1', 'fake2'])) as [FakeDocker, FakeDocker];
    // fake1 holds a container: spread would send the next one to fake2
    fake1.add('older');
    const skep = await manager(t, [fake1]);
    fake2.readsHang = true;
    skep.manager.cluster.setEntries([fake1.addr, fake2.addr]);
    await waitFor(
      'fake2 to join, its first read under way',
      async () =>
        engine(skep, fake2)?.health === 'healthy' && engine(skep, fake2).inventoryBusy
          ? true
          : undefined,
      5000,
      20,
    );
    const first = await timedCreate(skep, 'one');
    t.is(first.status, 201);
    t.is(first.node, 'fake1', 'not on the node whose containers are still being read');
    t.true(first.ms < REQUEST_TIMEOUT_MS / 2, `answered in ${first.ms} ms`);
    const second = await timedCreate(skep, 'two');
    t.is(second.status, 201);
    t.is(second.node, 'fake1');
    t.true(second.ms < 1000, `the next one waits no more: ${second.ms} ms`);
    fake2.readsHang = false;
  },
);

test.serial(
  'a node whose first read went partly unanswered is read again at its next health check: its images come back',
  async (t) => {
    const [fake1] = (await fleet(t, ['fake1'])) as [FakeDocker];
    fake1.readsDropped = true;
    const skep = await manager(t, [fake1]);
    await waitFor(
      'the first read to end',
      async () => engine(skep, fake1).inventoryRead || undefined,
      5000,
      20,
    );
    const tags = async () =>
      ((await skep.call('GET', '/images/json')).body as { RepoTags: string[] }[]).flatMap(
        (i) => i.RepoTags,
      );
    t.deepEqual(await tags(), [], 'the images were not read');
    t.is(engine(skep, fake1).health, 'healthy', 'one dropped connection leaves the node healthy');
    fake1.readsDropped = false;
    // its container counts agree with /info: only the unanswered read makes the check read again
    const read = await waitFor(
      'the images read again',
      async () => ((await tags()).length > 0 ? await tags() : undefined),
      5000,
      50,
    );
    t.deepEqual(read, ['busybox:latest']);
  },
);
