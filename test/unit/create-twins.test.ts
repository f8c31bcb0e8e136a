import test, { type ExecutionContext } from 'ava';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../harness/exec.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager, type InProcess } from '../harness/in-process.js';

// A create that reached an engine whose answer never came, retried on another node (test/harness/fake-docker.ts).
const SWARM_ID = 'com.docker.swarm.id';

/** Two fake engines; spread sends the next create to fake1, fake2 already holding a container. */
async function twoNodes(t: ExecutionContext) {
  const fleet = await Promise.all(
    ['fake1', 'fake2'].map((name) => FakeDocker.start({ name, images: ['busybox'] })),
  );
  fleet[1]!.add('older');
  t.teardown(() => Promise.all(fleet.map((f) => f.stop())));
  return fleet as [FakeDocker, FakeDocker];
}

async function manager(
  t: ExecutionContext,
  fleet: FakeDocker[],
  stateFile?: string,
): Promise<InProcess> {
  const skep = await inProcessManager(fleet, stateFile ? { stateFile } : {});
  t.teardown(() => skep.stop());
  await waitFor(
    'the cache to count the older container',
    async () =>
      skep.manager.cluster.all().some((e) => e.containers.size === 1) ? true : undefined,
    5000,
    20,
  );
  return skep;
}

const named = (fake: FakeDocker, name: string) =>
  [...fake.containers.values()].filter((c) => c.name === name);
const gone = (fake: FakeDocker, name: string) => async () =>
  named(fake, name).length === 0 ? true : undefined;

test.serial(
  'an engine killed mid-create: the client gets the next node’s container; the twin is removed when its node returns, though the client removed its copy',
  async (t) => {
    const [fake1, fake2] = await twoNodes(t);
    const skep = await manager(t, [fake1, fake2]);
    fake1.createThenDrop = 'down';
    const created = await skep.call('POST', '/containers/create?name=web', { Image: 'busybox' });
    t.is(created.status, 201);
    t.true(fake2.containers.has(created.body.Id), 'the client’s container is on fake2');
    t.is(named(fake1, 'web').length, 1, 'fake1 made a twin before it went down');
    const swarmId = fake2.containers.get(created.body.Id)!.config.Labels![SWARM_ID];
    t.is(
      named(fake1, 'web')[0]!.config.Labels![SWARM_ID],
      swarmId,
      'the twin carries the same swarm ID',
    );

    t.is((await skep.call('DELETE', '/containers/web?force=1')).status, 204);
    t.is(named(fake2, 'web').length, 0);
    fake1.createThenDrop = undefined;
    await fake1.listen();
    await waitFor('the twin on fake1 to be removed', gone(fake1, 'web'), 10_000, 50);
    const listed = await skep.call('GET', '/containers/json?all=1');
    t.false(
      (listed.body as { Names: string[] }[]).some((c) => c.Names.some((n) => n.endsWith('/web'))),
      'docker ps -a does not show it',
    );
    t.true(
      skep.logger.lines.some((l) =>
        /^info container [0-9a-f]{12} \(web\) on fake1 was made for a create given up there; removed it$/.test(
          l,
        ),
      ),
    );
  },
);

test.serial(
  'a create whose connection dropped while the engine stays up: its twin is removed at once, the client’s copy stays',
  async (t) => {
    const [fake1, fake2] = await twoNodes(t);
    const skep = await manager(t, [fake1, fake2]);
    fake1.createThenDrop = 'hang up';
    const created = await skep.call('POST', '/containers/create?name=api', { Image: 'busybox' });
    t.is(created.status, 201);
    fake1.createThenDrop = undefined;
    await waitFor('the twin on fake1 to be removed', gone(fake1, 'api'), 10_000, 50);
    t.true(fake2.containers.has(created.body.Id), 'the copy the client got is kept');
    t.is((await skep.call('GET', '/containers/api/json')).body.Id, created.body.Id);
    t.is(skep.manager.cluster.healthy().length, 2, 'fake1 never left');
  },
);

test.serial(
  'the record outlives the manager: a twin made while its node was down is removed when it returns to a restarted manager',
  async (t) => {
    const [fake1, fake2] = await twoNodes(t);
    const stateFile = join(mkdtempSync(join(tmpdir(), 'skep-state-')), 'skep-nodes.json');
    const first = await manager(t, [fake1, fake2], stateFile);
    fake1.createThenDrop = 'down';
    const created = await first.call('POST', '/containers/create?name=db', { Image: 'busybox' });
    t.is(created.status, 201);
    t.is((await first.call('DELETE', '/containers/db?force=1')).status, 204);
    await first.stop();

    fake1.createThenDrop = undefined;
    // the restarted manager starts with fake1 still down, and sees it for the first time when it returns
    const second = await inProcessManager([fake2], {
      stateFile,
      nodes: [fake1.addr, fake2.addr],
    }).catch((err: Error) => err);
    t.false(second instanceof Error, 'the manager starts');
    if (second instanceof Error) return;
    t.teardown(() => second.stop());
    await fake1.listen();
    await waitFor('the twin on fake1 to be removed', gone(fake1, 'db'), 10_000, 50);
    t.is(named(fake2, 'db').length, 0);
    const records = stateFile.replace(/\.json$/, '.stale.json');
    await waitFor(
      'the record to be forgotten',
      async () => (readFileSync(records, 'utf8').includes('abandoned') ? undefined : true),
      5000,
      20,
    );
  },
);
