import test from 'ava';
import { waitFor } from '../harness/exec.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager } from '../harness/in-process.js';

test.serial(
  'docker container prune: the removed containers leave the cache; the prune’s own event (no container) asks the engine nothing',
  async (t) => {
    const fake = await FakeDocker.start({ name: 'fake1', images: ['busybox'] });
    const skep = await inProcessManager([fake]);
    t.teardown(async () => {
      await skep.stop();
      await fake.stop();
    });
    fake.add('stopped');
    await waitFor(
      'the cache to count it',
      async () => (skep.manager.cluster.all()[0]!.containers.size === 1 ? true : undefined),
      5000,
      20,
    );
    const pruned = await skep.call('POST', '/containers/prune');
    t.is(pruned.status, 200);
    t.is(pruned.body.ContainersDeleted.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    t.false(
      fake.calls.some((c) => c.startsWith('GET /containers//')),
      'no call with an empty ID',
    );
    t.deepEqual(
      skep.logger.lines.filter((l) => l.startsWith('warn')),
      [],
    );
  },
);
