import test from 'ava';
import type { SkepPlugin } from '../../core/plugin-api.js';
import { FakeDocker } from '../harness/fake-docker.js';
import { inProcessManager } from '../harness/in-process.js';

const fakes = async (t: { teardown(fn: () => unknown): void }, n: number) => {
  const list = await Promise.all(
    Array.from({ length: n }, (_, i) =>
      FakeDocker.start({ name: `fake${i + 1}`, images: ['busybox'] }),
    ),
  );
  t.teardown(() => Promise.all(list.map((f) => f.stop())));
  return list;
};

type Info = { SystemStatus: [string, string][]; Containers: number };

test.serial(
  "/info's text is the JSON of its object, byte for byte, and stays current when a node changes",
  async (t) => {
    const skep = await inProcessManager(await fakes(t, 2));
    t.teardown(() => skep.stop());
    const first = await skep.call('GET', '/info');
    t.is(
      first.text,
      JSON.stringify(first.body),
      'the block texts spliced in are what JSON.stringify would write',
    );
    t.deepEqual(
      (first.body as Info).SystemStatus.filter(([k]) => k === '  └ Containers').map(([, v]) => v),
      ['0 (0 Running, 0 Paused, 0 Stopped)', '0 (0 Running, 0 Paused, 0 Stopped)'],
    );
    t.is(
      (await skep.call('POST', '/containers/create?name=one', { Image: 'busybox', Cmd: ['true'] }))
        .status,
      201,
    );
    const second = await skep.call('GET', '/info');
    t.is(second.text, JSON.stringify(second.body));
    t.deepEqual(
      (second.body as Info).SystemStatus.filter(([k]) => k === '  └ Containers')
        .map(([, v]) => v)
        .sort(),
      ['0 (0 Running, 0 Paused, 0 Stopped)', '1 (0 Running, 0 Paused, 1 Stopped)'],
    );
  },
);

test.serial(
  "a plugin's rewrite of /info is served: a line replaced, one added, the node blocks kept (their lines cannot be changed in place)",
  async (t) => {
    let inPlace = '';
    const rewriting: SkepPlugin = {
      name: 'info-rewriter',
      apply(hooks) {
        hooks.rewriteResponse.for('system.info').tap('info-rewriter', (body) => {
          const info = body as Info;
          try {
            info.SystemStatus[4]![1] = 'changed in place';
          } catch (err) {
            inPlace = (err as Error).name;
          }
          const at = info.SystemStatus.findIndex(([k]) => k === '  └ Labels');
          info.SystemStatus[at] = ['  └ Labels', 'rewritten'];
          info.SystemStatus.push(['Skep plugin', 'was here']);
          return info;
        });
      },
    };
    const skep = await inProcessManager(await fakes(t, 2), { plugins: [rewriting] });
    t.teardown(() => skep.stop());
    for (let i = 0; i < 2; i++) {
      const { text, body } = await skep.call('GET', '/info');
      const status = (body as Info).SystemStatus;
      t.is(text, JSON.stringify(body));
      t.is(inPlace, 'TypeError');
      t.deepEqual(status[status.length - 1], ['Skep plugin', 'was here']);
      t.is(
        status.filter(([k, v]) => k === '  └ Labels' && v === 'rewritten').length,
        1,
        'the first node block has the rewritten line',
      );
      t.is(status.filter(([k]) => k === '  └ Status').length, 2, 'both node blocks are there');
    }
  },
);
