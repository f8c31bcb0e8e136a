import { statSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { artifactPath, launchChromium } from '../harness/browser.js';
import { withRealEngines } from '../harness/e2e.js';
import { run } from '../harness/exec.js';
import { freePort, SWARM_BIN } from '../harness/skep.js';
import { useCluster } from '../harness/use-cluster.js';

/** The status page in a real browser (Debian's chromium, headless) over real engines: what a person sees. */
withRealEngines((test) => {
  let statusPort: number;
  const e2e = useCluster(test, 'status-page', async () => {
    statusPort = await freePort();
    return {
      size: 2,
      labels: [['zone=east'], ['zone=west']],
      manager: {
        args: (cluster) => [
          '--status-addr',
          `127.0.0.1:${statusPort}`,
          '--engine-refresh-min-interval=1s',
          '--engine-refresh-max-interval=1s',
          '--engine-failure-retry=1',
          cluster.discovery,
        ],
      },
    };
  });
  let browser: Browser;
  let page: Page;
  const cell = (node: string, column: number) =>
    page.locator(`#nodes tr:has(.name:text-is("${node}")) td:nth-child(${column})`);

  test.serial.before(async () => {
    browser = await launchChromium();
    e2e.teardown(() => browser.close()); // before the manager stops
    page = await browser.newPage({ viewport: { width: 1400, height: 720 } });
    await page.goto(`http://127.0.0.1:${statusPort}/`);
  });

  test.serial(
    'every node with its state, availability, engine version and labels; the manager role',
    async (t) => {
      await page.locator('#conn', { hasText: 'live' }).waitFor({ timeout: 10_000 });
      for (const engine of e2e.cluster.engines) {
        await cell(engine.name, 2).filter({ hasText: 'Healthy' }).waitFor({ timeout: 10_000 });
        t.is(await cell(engine.name, 3).textContent(), 'Active');
        t.regex((await cell(engine.name, 4).textContent()) ?? '', /^20\.10\./);
        t.regex((await cell(engine.name, 8).textContent()) ?? '', /zone=(east|west)/);
        t.regex(
          (await page
            .locator(`#nodes tr:has(.name:text-is("${engine.name}")) .addr`)
            .textContent()) ?? '',
          new RegExp(engine.addr.replace(/\./g, '\\.')),
        );
      }
      t.is(await page.locator('#role').textContent(), 'primary');
      t.regex(
        (await page.locator('#summary').textContent()) ?? '',
        /2 nodes\s*2 healthy\s*0 unhealthy/,
      );
    },
  );

  test.serial(
    'a docker run shows as it happens: the container count and the event, without reloading the page',
    async (t) => {
      t.is(
        (
          await e2e.skep.docker([
            'run',
            '-d',
            '--name',
            'watched',
            '-m',
            '64m',
            '-e',
            `constraint:node==${e2e.cluster.engines[0]!.name}`,
            'busybox',
            'sleep',
            '300',
          ])
        ).code,
        0,
      );
      await cell(e2e.cluster.engines[0]!.name, 5)
        .filter({ hasText: '1 running' })
        .waitFor({ timeout: 10_000 });
      await page
        .locator('#events li', {
          hasText: `${e2e.cluster.engines[0]!.name} container start watched`,
        })
        .waitFor({ timeout: 10_000 });
      t.regex(
        (await cell(e2e.cluster.engines[0]!.name, 7).textContent()) ?? '',
        /^64 MiB \//,
        'the reserved memory against the capacity',
      );
      const failed = await e2e.skep.docker([
        'run',
        '-d',
        '-e',
        'constraint:zone==north',
        'busybox',
        'true',
      ]);
      t.not(failed.code, 0);
      const failure = page.locator('#failures li').first();
      await failure.filter({ hasText: 'zone==north' }).waitFor({ timeout: 10_000 });
      t.regex(
        (await failure.textContent()) ?? '',
        /container: Unable to find a node that satisfies the following conditions/,
      );
      t.regex((await failure.textContent()) ?? '', /constraint zone==north not met/);
    },
  );

  test.serial(
    'filter and sort: typing a label keeps only its node; a column header sorts',
    async (t) => {
      await page.fill('#filter', 'west');
      t.deepEqual(await page.locator('#nodes tr:visible .name').allTextContents(), [
        e2e.cluster.engines[1]!.name,
      ]);
      await page.fill('#filter', '');
      await page.click('th[data-key="name"]');
      t.deepEqual(
        await page.locator('#nodes tr .name').allTextContents(),
        e2e.cluster.engines.map((e) => e.name).reverse(),
      );
      await page.click('th[data-key="name"]');
      t.deepEqual(
        await page.locator('#nodes tr .name').allTextContents(),
        e2e.cluster.engines.map((e) => e.name),
      );
    },
  );

  test.serial(
    'node maintenance shows as it is set: a paused node reads Pause, its new label appears',
    async (t) => {
      const node = e2e.cluster.engines[0]!.name;
      const swarmNode = (args: string[]) =>
        run(process.execPath, [SWARM_BIN, 'node', 'update', ...args, node], {
          env: { ...process.env, DOCKER_HOST: e2e.skep.dockerHost },
        });
      const update = await swarmNode(['--availability', 'pause', '--label-add', 'rack=r7']);
      t.is(update.code, 0, update.stderr);
      await cell(node, 3).filter({ hasText: 'Pause' }).waitFor({ timeout: 10_000 });
      t.regex((await cell(node, 8).textContent()) ?? '', /rack=r7/);
      t.is((await swarmNode(['--availability', 'active', '--label-rm', 'rack'])).code, 0);
      await cell(node, 3).filter({ hasText: 'Active' }).waitFor({ timeout: 10_000 });
      t.notRegex((await cell(node, 8).textContent()) ?? '', /rack=r7/);
    },
  );

  test.serial(
    'a node turns Unhealthy on the page when its engine is killed, with the error; a screenshot is kept',
    async (t) => {
      const victim = e2e.cluster.engines[1]!;
      await e2e.cluster.kill(victim);
      await cell(victim.name, 2).filter({ hasText: 'Unhealthy' }).waitFor({ timeout: 20_000 });
      t.not((await cell(victim.name, 9).textContent())?.trim(), '', 'the error is shown');
      t.regex((await page.locator('#summary').textContent()) ?? '', /1 healthy\s*1 unhealthy/);
      const shot = artifactPath('status-page.png');
      await page.screenshot({ path: shot, fullPage: true });
      t.true(statSync(shot).size > 10_000, `a screenshot at ${shot}`);
      t.log(`screenshot: ${shot}`);
    },
  );
});
