import test from 'ava';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager } from '../harness/in-process.js';

test.serial(
  'an image by ID prefix from three characters on, as classic (two are no image), or by its full Docker Hub name',
  async (t) => {
    const fake = await FakeDocker.start({ name: 'fake1', images: ['busybox'] });
    const skep = await inProcessManager([fake]);
    t.teardown(async () => {
      await skep.stop();
      await fake.stop();
    });
    const id = fake.images[0]!.Id.replace(/^sha256:/, '');
    const short = await skep.call('GET', `/images/${id.slice(0, 2)}/json`);
    t.is(short.status, 404);
    t.is(
      short.body.message,
      `No such image: ${id.slice(0, 2)}`,
      "classic's words; the engine itself would match any prefix",
    );
    t.is((await skep.call('GET', `/images/${id.slice(0, 3)}/json`)).status, 200);
    t.is((await skep.call('GET', '/images/docker.io/library/busybox/json')).status, 200);
    t.is((await skep.call('GET', '/images/nothing/json')).status, 404);
  },
);
