import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { waitFor } from '../harness/exec.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager } from '../harness/in-process.js';

test.serial(
  'file discovery followed live: a node added joins, a node removed leaves and is announced, a broken edit keeps the list',
  async (t) => {
    const [one, two] = await Promise.all([
      FakeDocker.start({ name: 'first' }),
      FakeDocker.start({ name: 'second' }),
    ]);
    const file = join(mkdtempSync(join(tmpdir(), 'skep-discovery-')), 'nodes');
    writeFileSync(file, `${one!.addr}\n`);
    const skep = await inProcessManager([one!], { nodes: [`file://${file}`], heartbeatMs: 200 });
    t.teardown(async () => {
      await skep.stop();
      await Promise.all([one!.stop(), two!.stop()]);
    });
    const names = () =>
      skep.manager.cluster
        .healthy()
        .map((e) => e.name)
        .sort();
    t.deepEqual(names(), ['first']);
    writeFileSync(file, `# the fleet\n${one!.addr}\n${two!.addr}\n`);
    await waitFor('second to join', async () => (names().length === 2 ? true : undefined), 10_000);
    t.deepEqual(names(), ['first', 'second']);
    writeFileSync(file, `${two!.addr}\n`);
    await waitFor(
      'first to leave',
      async () => (skep.manager.cluster.all().length === 1 ? true : undefined),
      10_000,
    );
    t.deepEqual(names(), ['second']);
    const left = skep.manager.cluster
      .recentEvents()
      .find((e) => e.event.Action === 'engine_disconnect');
    t.truthy(left, 'classic announced a node that leaves discovery as disconnected');
    writeFileSync(file, `${two!.addr}\nnot an address at all:99999\n`);
    await waitFor(
      'the error logged',
      async () =>
        skep.logger.lines.some((l) => l.startsWith('error Discovery error: ')) ? true : undefined,
      10_000,
    );
    t.deepEqual(names(), ['second'], 'a broken edit keeps the last good list');
  },
);
