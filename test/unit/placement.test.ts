import test, { type ExecutionContext } from 'ava';
import type { Placing, SkepPlugin } from '../../core/plugin-api.js';
import { waitFor } from '../harness/exec.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager } from '../harness/in-process.js';

// Placement of every kind through the manager's API, over fake engines (test/harness/fake-docker.ts).
const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

const fakes = (n: number, over: Partial<Parameters<typeof FakeDocker.start>[0]> = {}) =>
  Promise.all(
    Array.from({ length: n }, (_, i) =>
      FakeDocker.start({ name: `fake${i + 1}`, images: ['busybox'], ...over }),
    ),
  );
const nodeOf = (fleet: FakeDocker[], id: string) => fleet.find((f) => f.containers.has(id))?.name;

/** A manager over these fake engines, stopped with them when the test ends. */
async function managerOver(
  t: ExecutionContext,
  fleet: FakeDocker[],
  over: Parameters<typeof inProcessManager>[1] = {},
) {
  const skep = await inProcessManager(fleet, over);
  t.teardown(async () => {
    await skep.stop();
    await Promise.all(fleet.map((f) => f.stop()));
  });
  return skep;
}

/**
 * Two containers on fake2, then `names` created with the on-node-failure policy: spread puts
 * them on fake1, which has fewer.
 */
async function reschedulableOnFake1(
  t: ExecutionContext,
  skep: Awaited<ReturnType<typeof managerOver>>,
  fleet: FakeDocker[],
  names: string[],
) {
  for (const name of ['o1', 'o2']) fleet[1]!.add(name);
  await waitFor(
    'the cache to count them',
    async () =>
      skep.manager.cluster.all().some((e) => e.containers.size === 2) ? true : undefined,
    5000,
    20,
  );
  const policy = { 'com.docker.swarm.reschedule-policies': '["on-node-failure"]' };
  for (const name of names)
    t.is(
      (
        await skep.call('POST', `/containers/create?name=${name}`, {
          Image: 'busybox',
          Labels: policy,
        })
      ).status,
      201,
    );
}

/** A plugin that records what each placement said it was placing, and each request context's state object. */
function recorder(
  seen: { placing: Placing; dryRun: boolean; state: object; route: string }[],
): SkepPlugin {
  return {
    name: 'recorder',
    apply(hooks) {
      hooks.beforeSchedule.tap('recorder', (request, context) => {
        seen.push({
          placing: context.placing,
          dryRun: context.dryRun,
          state: context.state,
          route: context.route,
        });
        return request;
      });
    },
  };
}

test.serial(
  'concurrent creates each hold their memory until in the cache: the node that is full is passed over, then none is left',
  async (t) => {
    const fleet = await fakes(2, { memTotal: GiB });
    for (const f of fleet) f.createDelayMs = 300;
    const skep = await managerOver(t, fleet);
    const create = (name: string) =>
      skep.call('POST', `/containers/create?name=${name}`, {
        Image: 'busybox',
        HostConfig: { Memory: 600 * MiB },
      });
    const answers = await Promise.all(['job-a', 'job-b', 'job-c'].map(create));
    const created = answers.filter((a) => a.status === 201);
    t.is(created.length, 2, 'two fit, one on each node');
    t.not(nodeOf(fleet, created[0]!.body.Id), nodeOf(fleet, created[1]!.body.Id));
    const refused = answers.find((a) => a.status !== 201)!;
    t.is(refused.status, 500);
    t.regex(
      refused.body.message,
      /^no resources available to schedule container\n\[fake1: .* memory free; the container reserves 600 MiB\]/,
    );
    t.deepEqual(
      skep.manager.cluster.all().map((e) => e.pending.size),
      [0, 0],
      'nothing is held once the creates are in',
    );
  },
);

test.serial(
  'a build holds its --memory on its node until the image is in the cache; a create meanwhile goes elsewhere',
  async (t) => {
    const fleet = await fakes(2, { memTotal: GiB });
    for (const f of fleet) f.buildMs = 800;
    const skep = await managerOver(t, fleet);
    const build = skep.call(
      'POST',
      `/build?t=app:1&memory=${700 * MiB}`,
      'not a real tar: the fake engine does not read it',
    );
    await waitFor(
      'the build to be under way',
      async () => (fleet.some((f) => f.calls.includes('POST /build')) ? true : undefined),
      5000,
      20,
    );
    const builder = fleet.find((f) => f.calls.includes('POST /build'))!;
    const held = skep.manager.cluster.all().find((e) => e.addr === builder.addr)!;
    t.deepEqual(
      held.reserved(),
      { cpus: 0, memory: 700 * MiB },
      'the build holds its memory while it runs',
    );
    const during = await skep.call('POST', '/containers/create?name=meanwhile', {
      Image: 'busybox',
      HostConfig: { Memory: 700 * MiB },
    });
    t.is(during.status, 201);
    t.not(
      nodeOf(fleet, during.body.Id),
      builder.name,
      'the create does not land where the build holds the memory',
    );
    const built = await build;
    t.is(built.status, 200);
    t.regex(built.text, /Successfully tagged app:1/);
    await waitFor(
      'the build to release its hold',
      async () => (held.pending.size === 0 ? true : undefined),
      5000,
      20,
    );
    t.true(
      held.images.some((i) => i.RepoTags?.includes('app:1')),
      'its image is in the cache before the hold goes',
    );
  },
);

test.serial(
  'every kind of placement runs beforeSchedule and says what it places; each gets its own request context',
  async (t) => {
    const fleet = await fakes(2);
    const seen: { placing: Placing; dryRun: boolean; state: object; route: string }[] = [];
    const skep = await managerOver(t, fleet, { plugins: [recorder(seen)] });
    t.is(
      (await skep.call('POST', '/containers/create?name=web', { Image: 'busybox' })).status,
      201,
    );
    t.is((await skep.call('POST', '/skep/placement', { Image: 'busybox' })).status, 200);
    t.is((await skep.call('POST', '/build?t=x', 'tar')).status, 200);
    t.is((await skep.call('POST', '/networks/create', { Name: 'front' })).status, 201);
    t.is((await skep.call('POST', '/volumes/create', { Name: 'data' })).status, 201);
    t.deepEqual(
      seen.map((s) => [s.placing, s.dryRun, s.route]),
      [
        ['container', false, 'container.create'],
        ['container', true, 'skep.placement'],
        ['build', false, 'image.build'],
        ['network', false, 'network.create'],
        ['volume', false, 'volume.create'],
      ],
    );
    t.is(new Set(seen.map((s) => s.state)).size, seen.length);
    t.true(
      fleet.every((f) => f.volumes.some((v) => v.Name === 'data')),
      'a volume is made on every node placement keeps',
    );
    t.is(
      fleet.filter((f) => f.networks.some((n) => n.Name === 'front')).length,
      1,
      'a network on one node',
    );
  },
);

test.serial(
  "a network or volume is placed by its constraint label, and refused in classic's words when no node meets it",
  async (t) => {
    const fleet = [
      await FakeDocker.start({ name: 'east', labels: ['zone=e'] }),
      await FakeDocker.start({ name: 'west', labels: ['zone=w'] }),
    ];
    const skep = await managerOver(t, fleet);
    const labels = (zone: string) => ({
      'com.docker.swarm.constraints': JSON.stringify([`zone==${zone}`]),
    });
    t.is(
      (await skep.call('POST', '/networks/create', { Name: 'n1', Labels: labels('w') })).status,
      201,
    );
    t.deepEqual(
      fleet.map((f) => f.networks.some((n) => n.Name === 'n1')),
      [false, true],
    );
    t.is(
      (await skep.call('POST', '/volumes/create', { Name: 'v1', Labels: labels('e') })).status,
      201,
    );
    t.deepEqual(
      fleet.map((f) => f.volumes.some((v) => v.Name === 'v1')),
      [true, false],
    );
    const refused = await skep.call('POST', '/networks/create', {
      Name: 'n2',
      Labels: labels('north'),
    });
    t.is(refused.status, 500);
    t.regex(
      refused.body.message,
      /^Unable to find a node that satisfies the following conditions \n(\[.*\]\n)*\[zone==north\]\n\[east: constraint zone==north not met \(zone=e\)\]/,
    );
  },
);

test.serial(
  "the first-ranked node is unreachable: the create goes to the next, and the node's failure is counted",
  async (t) => {
    const fleet = await fakes(2);
    const skep = await managerOver(t, fleet, {
      engine: {
        refreshMinMs: 60_000,
        refreshMaxMs: 60_000,
        failureRetry: 3,
        requestTimeoutMs: 5000,
        connectTimeoutMs: 1000,
      },
    });
    // spread puts the next container on the node with fewer: fake1, which then goes away unnoticed
    fleet[1]!.add('older');
    await waitFor(
      'the cache to count it',
      async () =>
        skep.manager.cluster.all().some((e) => e.containers.size === 1) ? true : undefined,
      5000,
      20,
    );
    await fleet[0]!.down();
    const created = await skep.call('POST', '/containers/create?name=moved', { Image: 'busybox' });
    t.is(created.status, 201);
    t.is(nodeOf(fleet, created.body.Id), 'fake2');
    t.true(
      skep.logger.lines.some((l) => /^warn node fake1 could not be reached for a create: /.test(l)),
    );
    t.true(skep.logger.lines.includes('warn trying fake2 instead of fake1'));
  },
);

test.serial(
  "with swarm.createretry, an engine's 5xx sends the create to the next ranked node; without, the client gets it",
  async (t) => {
    const fleet = await fakes(2);
    fleet[0]!.createFailure = { status: 500, message: 'fake engine: disk full' };
    fleet[1]!.add('older');
    const skep = await inProcessManager(fleet, { clusterOpts: { 'swarm.createretry': '1' } });
    const plain = await inProcessManager(fleet);
    t.teardown(async () => {
      await skep.stop();
      await plain.stop();
      await Promise.all(fleet.map((f) => f.stop()));
    });
    await waitFor(
      'both caches to count it',
      async () =>
        [skep, plain].every((s) => s.manager.cluster.all().some((e) => e.containers.size === 1))
          ? true
          : undefined,
      5000,
      20,
    );
    const retried = await skep.call('POST', '/containers/create?name=r1', { Image: 'busybox' });
    t.is(retried.status, 201);
    t.is(nodeOf(fleet, retried.body.Id), 'fake2');
    const failed = await plain.call('POST', '/containers/create?name=r2', { Image: 'busybox' });
    t.is(failed.status, 500);
    t.is(failed.body.message, 'fake engine: disk full', "the engine's own answer");
  },
);

test.serial(
  "the chosen node lacks the image and cannot pull it: placed again where the image is; nowhere: the engine's own 404",
  async (t) => {
    const fleet = [
      await FakeDocker.start({ name: 'bare', images: [] }),
      await FakeDocker.start({ name: 'stocked', images: ['busybox', 'redis:7'] }),
    ];
    fleet[1]!.add('older');
    const skep = await managerOver(t, fleet);
    await waitFor(
      'the cache to count it',
      async () =>
        skep.manager.cluster.all().some((e) => e.containers.size === 1) ? true : undefined,
      5000,
      20,
    );
    const moved = await skep.call('POST', '/containers/create?name=cache', { Image: 'redis:7' });
    t.is(moved.status, 201);
    t.is(nodeOf(fleet, moved.body.Id), 'stocked');
    t.true(fleet[0]!.calls.includes('POST /images/create'), 'the chosen node tried to pull first');
    t.true(
      skep.logger.lines.some((l) => l.includes('scheduling again with affinity image==redis:7')),
    );
    // classic: a soft constraint on the node gives way to the image's affinity (a hard one would not)
    const soft = await skep.call('POST', '/containers/create?name=soft', {
      Image: 'redis:7',
      Env: ['constraint:node==~bare'],
    });
    t.is(soft.status, 201, soft.text);
    t.is(nodeOf(fleet, soft.body.Id), 'stocked');
    const hard = await skep.call('POST', '/containers/create?name=hard', {
      Image: 'redis:7',
      Env: ['constraint:node==bare'],
    });
    t.is(hard.status, 404, 'pinned to a node that cannot get the image: the engine’s own 404');
    const nowhere = await skep.call('POST', '/containers/create?name=ghost', {
      Image: 'nothing-here:1',
    });
    t.is(nowhere.status, 404);
    t.regex(
      nowhere.body.message,
      /pull access denied for nothing-here|No such image: nothing-here:1/,
    );
  },
);

test.serial(
  'a filter that throws is answered as a 500 naming the plugin and hook, and logged with its stack',
  async (t) => {
    const fleet = await fakes(1);
    const broken: SkepPlugin = {
      name: 'broken-filter',
      apply(hooks) {
        hooks.filter.tap(
          'broken-filter',
          (nodes) => nodes.map((n) => (n as unknown as { gone: { x: number } }).gone.x) as never,
        );
      },
    };
    const skep = await managerOver(t, fleet, { plugins: [broken] });
    const answer = await skep.call('POST', '/containers/create', { Image: 'busybox' });
    t.is(answer.status, 500);
    t.regex(
      answer.body.message,
      /^plugin "broken-filter" failed in filter: Cannot read properties of undefined/,
    );
    t.is(fleet[0]!.containers.size, 0, 'nothing was created');
    const logged = skep.logger.lines.filter((l) =>
      l.startsWith('error plugin "broken-filter" failed in filter'),
    );
    t.is(logged.length, 1);
    t.regex(logged[0]!, /TypeError: Cannot read properties of undefined[\s\S]*\n\s+at /);
  },
);

test.serial(
  'a node that fails: its containers with a reschedule policy are placed again elsewhere, each in its own context',
  async (t) => {
    const fleet = await fakes(2);
    const seen: { placing: Placing; dryRun: boolean; state: object; route: string }[] = [];
    const skep = await managerOver(t, fleet, { plugins: [recorder(seen)] });
    await reschedulableOnFake1(t, skep, fleet, ['w1', 'w2']);
    t.is(fleet[0]!.containers.size, 2);
    seen.length = 0;
    await fleet[0]!.down();
    await waitFor(
      'both containers on fake2',
      async () => (fleet[1]!.containers.size === 4 ? true : undefined),
      15_000,
    );
    t.deepEqual(
      seen.map((s) => [s.placing, s.route]),
      [
        ['reschedule', 'skep.reschedule'],
        ['reschedule', 'skep.reschedule'],
      ],
    );
    t.not(seen[0]!.state, seen[1]!.state, 'each rescheduled create has its own context');
    t.deepEqual([...fleet[1]!.containers.values()].map((c) => c.name).sort(), [
      'o1',
      'o2',
      'w1',
      'w2',
    ]);
  },
);

test.serial(
  'a rescheduled container the client removed does not come back with its old node: the stale original goes too',
  async (t) => {
    const fleet = await fakes(2);
    const skep = await managerOver(t, fleet);
    await reschedulableOnFake1(t, skep, fleet, ['kept', 'removed']);
    await fleet[0]!.down();
    await waitFor(
      'both moved to fake2',
      async () => (fleet[1]!.containers.size === 4 ? true : undefined),
      15_000,
    );
    t.is((await skep.call('DELETE', '/containers/removed?force=1')).status, 204);
    await fleet[0]!.listen();
    await waitFor(
      'fake1 without stale copies',
      async () => (fleet[0]!.containers.size === 0 ? true : undefined),
      15_000,
    );
    t.deepEqual([...fleet[1]!.containers.values()].map((c) => c.name).sort(), ['kept', 'o1', 'o2']);
    t.true(
      skep.logger.lines.some((l) =>
        /container \w+ was rescheduled and its copy removed since, removed it from fake1/.test(l),
      ),
    );
  },
);

test.serial(
  'a node that returns while its containers are being moved: the move stops, and each container exists once',
  async (t) => {
    const fleet = [
      await FakeDocker.start({ name: 'fake1', images: ['busybox'] }),
      await FakeDocker.start({ name: 'fake2', images: ['busybox'] }),
    ];
    fleet[1]!.createDelayMs = 1000;
    const skep = await managerOver(t, fleet);
    const names = ['r1', 'r2', 'r3', 'r4'];
    for (const name of names)
      fleet[0]!.add(
        name,
        {
          Image: 'busybox',
          Labels: {
            'com.docker.swarm.id': `swarm-${name}`,
            'com.docker.swarm.reschedule-policies': '["on-node-failure"]',
          },
        },
        true,
      );
    await waitFor(
      'the cache to count them',
      async () =>
        skep.manager.cluster.all().some((e) => e.containers.size === 4) ? true : undefined,
      5000,
      20,
    );
    await fleet[0]!.down();
    await waitFor(
      'the first copy made',
      async () => (fleet[1]!.containers.size >= 1 ? true : undefined),
      15_000,
      20,
    );
    await fleet[0]!.listen(); // back while the others are still being moved
    const everywhere = () =>
      fleet.flatMap((f) => [...f.containers.values()].map((c) => c.name)).sort();
    await waitFor(
      'each container once',
      async () => (JSON.stringify(everywhere()) === JSON.stringify(names) ? true : undefined),
      15_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 2500)); // longer than a create: nothing more is moved
    t.deepEqual(everywhere(), names);
  },
);

test.serial(
  'CpuShares are cores only through cpu-cores: with it off, docker info reads no cores reserved and the engine gets the shares',
  async (t) => {
    const reservedCpus = async (skep: Awaited<ReturnType<typeof inProcessManager>>) => {
      const info = (await skep.call('GET', '/info')).body as { SystemStatus: [string, string][] };
      return info.SystemStatus.find(([k]) => k === '  └ Reserved CPUs')![1];
    };
    const fleet = await fakes(1, { ncpu: 2 });
    const on = await inProcessManager(fleet);
    const off = await inProcessManager(fleet, { builtins: { 'cpu-cores': false } });
    t.teardown(async () => {
      await on.stop();
      await off.stop();
      await Promise.all(fleet.map((f) => f.stop()));
    });
    const created = await on.call('POST', '/containers/create?name=one-core', {
      Image: 'busybox',
      HostConfig: { CpuShares: 1 },
    });
    t.is(created.status, 201);
    t.is(
      fleet[0]!.containers.get(created.body.Id)!.config.HostConfig!.CpuShares,
      512,
      'one core of two, as shares',
    );
    await waitFor(
      'both caches to hold it',
      async () =>
        [on, off].every((s) => s.manager.cluster.all()[0]!.containers.size === 1)
          ? true
          : undefined,
      5000,
      20,
    );
    t.is(await reservedCpus(on), '1 / 2');
    t.is(await reservedCpus(off), '0 / 2', 'without the plugin, shares are a weight, not cores');
    const plain = await off.call('POST', '/containers/create?name=weighted', {
      Image: 'busybox',
      HostConfig: { CpuShares: 512 },
    });
    t.is(
      fleet[0]!.containers.get(plain.body.Id)!.config.HostConfig!.CpuShares,
      512,
      'sent as given',
    );
  },
);

test.serial(
  'drain: a container with a reschedule policy is made again elsewhere, then the original goes; one without stays; a drain cut short makes no second copy',
  async (t) => {
    const fleet = await fakes(2);
    const skep = await managerOver(t, fleet);
    const policy = { 'com.docker.swarm.reschedule-policies': '["on-node-failure"]' };
    // spread puts both on fake1, which has fewer (a constraint would pin the copy there too)
    for (const name of ['o1', 'o2', 'o3']) fleet[1]!.add(name);
    await waitFor(
      'the cache to count them',
      async () =>
        skep.manager.cluster.all().some((e) => e.containers.size === 3) ? true : undefined,
      5000,
      20,
    );
    const onFake1 = (name: string, labels: Record<string, string> = {}) =>
      skep.call('POST', `/containers/create?name=${name}`, { Image: 'busybox', Labels: labels });
    t.is((await onFake1('mover', policy)).status, 201);
    t.is((await onFake1('stayer')).status, 201);
    t.deepEqual([...fleet[0]!.containers.values()].map((c) => c.name).sort(), ['mover', 'stayer']);
    t.is(
      (await skep.call('POST', '/skep/nodes/fake1/update', { Availability: 'drain' })).status,
      200,
    );
    await waitFor(
      'mover on fake2',
      async () =>
        [...fleet[1]!.containers.values()].some((c) => c.name === 'mover') ? true : undefined,
      10_000,
    );
    await waitFor(
      'the original gone',
      async () =>
        [...fleet[0]!.containers.values()].some((c) => c.name.startsWith('mover'))
          ? undefined
          : true,
      10_000,
    );
    t.deepEqual(
      [...fleet[0]!.containers.values()].map((c) => c.name),
      ['stayer'],
    );
    t.true(
      skep.logger.lines.some((l) =>
        /^info Drained container \w{12} \(mover\) from fake1 to fake2 as \w{12}$/.test(l),
      ),
    );
    t.is((await skep.call('GET', '/containers/mover/json')).body.Node.Name, 'fake2');

    // a drain the manager did not finish: the copy exists on fake2 already, the original is still on fake1
    t.is(
      (await skep.call('POST', '/skep/nodes/fake1/update', { Availability: 'active' })).status,
      200,
    );
    const copy = [...fleet[1]!.containers.values()].find((c) => c.name === 'mover')!;
    fleet[0]!.add('mover-original', { Image: 'busybox', Labels: { ...copy.config.Labels } });
    await waitFor(
      'the cache to see it',
      async () =>
        skep.manager.cluster.engines.get(fleet[0]!.addr)!.containers.size === 2 ? true : undefined,
      5000,
      20,
    );
    t.is(
      (await skep.call('POST', '/skep/nodes/fake1/update', { Availability: 'drain' })).status,
      200,
    );
    await waitFor(
      'the leftover original gone',
      async () => (fleet[0]!.containers.size === 1 ? true : undefined),
      10_000,
    );
    t.is(
      [...fleet[1]!.containers.values()].filter((c) => c.name.startsWith('mover')).length,
      1,
      'still one copy',
    );
  },
);

test.serial(
  'drain: a container whose copy cannot be made anywhere stays where it was, under its own name, and the reason is logged',
  async (t) => {
    const fleet = await fakes(2);
    const skep = await managerOver(t, fleet);
    const policy = { 'com.docker.swarm.reschedule-policies': '["on-node-failure"]' };
    t.is(
      (
        await skep.call('POST', '/containers/create?name=pinned', {
          Image: 'busybox',
          Labels: policy,
          Env: ['constraint:node==fake1'],
        })
      ).status,
      201,
    );
    t.is(
      (await skep.call('POST', '/skep/nodes/fake1/update', { Availability: 'drain' })).status,
      200,
    );
    await waitFor(
      'the refusal',
      async () =>
        skep.logger.lines.some((l) => l.startsWith('error cannot drain pinned from fake1:'))
          ? true
          : undefined,
      10_000,
    );
    await waitFor(
      'its name back',
      async () =>
        [...fleet[0]!.containers.values()].map((c) => c.name).join() === 'pinned'
          ? true
          : undefined,
      5000,
    );
    t.is(fleet[1]!.containers.size, 0);
    t.regex(
      skep.logger.lines.find((l) => l.startsWith('error cannot drain pinned'))!,
      /\[fake1: the node's availability is drain\].*; it stays there$/s,
    );
  },
);

test.serial(
  'a named volume’s data follows it: the next container that mounts it goes where it was last mounted, unless a constraint says otherwise',
  async (t) => {
    const fleet = await fakes(2);
    const skep = await managerOver(t, fleet);
    const first = await skep.call('POST', '/containers/create?name=writer', {
      Image: 'busybox',
      HostConfig: { Binds: ['data:/d'] },
    });
    t.is(nodeOf(fleet, first.body.Id), 'fake1');
    await skep.call('DELETE', '/containers/writer');
    // spread alone would pick fake2 now (fake1 holds one more); the volume was last mounted on fake1
    fleet[0]!.add('other');
    await waitFor(
      'the cache to count it',
      async () =>
        skep.manager.cluster.all().some((e) => e.containers.size === 1) ? true : undefined,
      5000,
      20,
    );
    const reader = await skep.call('POST', '/containers/create?name=reader', {
      Image: 'busybox',
      HostConfig: { Mounts: [{ Type: 'volume', Source: 'data', Target: '/d' }] },
    });
    t.is(nodeOf(fleet, reader.body.Id), 'fake1');
    const pinned = await skep.call('POST', '/containers/create?name=pinned', {
      Image: 'busybox',
      Env: ['constraint:node==fake2'],
      HostConfig: { Binds: ['data:/d'] },
    });
    t.is(nodeOf(fleet, pinned.body.Id), 'fake2', 'a constraint comes first');
    const plain = await skep.call('POST', '/containers/create?name=plain', { Image: 'busybox' });
    t.is(nodeOf(fleet, plain.body.Id), 'fake2', 'without a volume, spread as before');
  },
);
