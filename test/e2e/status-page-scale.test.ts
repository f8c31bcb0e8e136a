import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../harness/browser.js';
import { withRealEngines } from '../harness/e2e.js';
import { FakeFleet } from '../harness/fake-fleet.js';
import { freePort, SkepProcess } from '../harness/skep.js';

const NODES = 1000;

/**
 * The status page at 1,000 nodes, in Debian's chromium. The nodes are the fake fleet's engines (test/harness/fake-fleet.ts:
 * no machine runs 1,000 dockerd). What is asserted is what a person relies on: every node listed, the filter and the
 * sort work, and a change to one node repaints that node's row only. Times are logged, not asserted.
 */
withRealEngines((test) => {
  let fleet: FakeFleet;
  let skep: SkepProcess;
  let browser: Browser;
  let page: Page;

  test.before(async () => {
    fleet = await FakeFleet.start({ engines: NODES, containersPerEngine: 2 });
    const statusPort = await freePort();
    skep = await SkepProcess.start(
      ['--status-addr', `127.0.0.1:${statusPort}`, fleet.addresses.join(',')],
      { nodes: NODES },
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const began = Date.now();
    await page.goto(`http://127.0.0.1:${statusPort}/`);
    await page.locator('#summary', { hasText: `${NODES} nodes` }).waitFor({ timeout: 30_000 });
    console.log(`status page: ${NODES} rows shown ${Date.now() - began} ms after loading`);
  });
  test.after.always(async () => {
    await browser?.close();
    await skep?.stop();
    await fleet?.stop();
  });

  test.serial(
    'every node is listed; the filter narrows to one node and back; sorting by a column reorders',
    async (t) => {
      t.is(await page.locator('#nodes tr').count(), NODES);
      const one = fleet.engines[437]!.name;
      let began = Date.now();
      await page.fill('#filter', one);
      t.deepEqual(await page.locator('#nodes tr:visible .name').allTextContents(), [one]);
      t.log(`filter: ${Date.now() - began} ms`);
      await page.fill('#filter', '');
      t.is(await page.locator('#nodes tr:visible').count(), NODES);
      began = Date.now();
      await page.click('th[data-key="name"]');
      const names = fleet.engines
        .map((e) => e.name)
        .sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
      t.is(await page.locator('#nodes tr:first-child .name').textContent(), names.at(0) ?? null);
      t.log(`sort: ${Date.now() - began} ms`);
      await page.click('th[data-key="name"]');
      t.is(await page.locator('#nodes tr:first-child .name').textContent(), names.at(-1) ?? null);
    },
  );

  test.serial(
    'a container created on one node repaints that row only, not the table',
    async (t) => {
      // count the rows whose cells are rewritten from now on
      await page.evaluate(() => {
        const touched = new Set<Element>();
        (window as unknown as { touched: Set<Element> }).touched = touched;
        new MutationObserver((records) => {
          for (const r of records)
            if (r.target instanceof HTMLElement && r.target.tagName === 'TR') touched.add(r.target);
        }).observe(document.getElementById('nodes')!, { childList: true, subtree: true });
      });
      const target = fleet.engines[12]!.name;
      const created = await fetch(`${skep.url}/containers/create?name=on-one-node`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          Image: 'busybox',
          Cmd: ['true'],
          Env: [`constraint:node==${target}`],
        }),
      });
      t.is(created.status, 201);
      await page
        .locator(`#nodes tr:has(.name:text-is("${target}")) td:nth-child(5)`, {
          hasText: '2 running, 1 stopped',
        })
        .waitFor({ timeout: 10_000 });
      await page.waitForTimeout(1500);
      const touched = await page.evaluate(() =>
        [...(window as unknown as { touched: Set<HTMLElement> }).touched].map(
          (tr) => tr.querySelector('.name')?.textContent,
        ),
      );
      t.deepEqual(touched, [target]);
    },
  );
});
