import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeFleet } from '../harness/fake-fleet.js';
import { REPO_ROOT, SkepProcess } from '../harness/skep.js';

// The benchmark's instruments, checked: the fake fleet must look like engines to Skep and its clients,
// and a short scale run must measure what it says. (No timing is asserted: targets live in `npm run bench`.)
// The bench is run as `npm run bench` runs it: test/ does not import bench/.

const BENCH = fileURLToPath(new URL('../../bench/run.js', import.meta.url));

/**
 * `npm run bench` with these flags, until it has written its figures (its stdout: the tables). It is stopped then:
 * a timer of bench/scale.ts's (the inventory's 180 s limit) keeps its process up for minutes after.
 */
function bench(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BENCH, ...args], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let done = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!done && (done = stderr.includes('figures written to'))) child.kill();
    });
    // what the bench wrote before it was stopped is still read: `close` comes once both pipes are drained
    child.on('close', (code, signal) =>
      done
        ? resolve(stdout)
        : reject(
            new Error(`the bench exited ${code ?? signal} before writing its figures:\n${stderr}`),
          ),
    );
  });
}

test.serial(
  'Skep fronts the fake fleet as it fronts engines: every container listed with its node, creates placed',
  async (t) => {
    const fleet = await FakeFleet.start({ engines: 3, containersPerEngine: 4 });
    const skep = await SkepProcess.start([fleet.addresses.join(',')], { nodes: 3 });
    try {
      const rows = (await skep.getJson('/containers/json?all=1')) as { Names: string[] }[];
      t.deepEqual(
        rows.map((r) => r.Names[0]).sort(),
        fleet.engines.flatMap((e) => [0, 1, 2, 3].map((n) => `/${e.name}/${e.name}-c${n}`)).sort(),
      );
      const created = await fetch(`${skep.url}/containers/create?name=bench-smoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ Image: 'busybox', Cmd: ['true'] }),
      });
      t.is(created.status, 201, await created.clone().text());
      const inspect = (await skep.getJson('/containers/bench-smoke/json')) as {
        Node: { Name: string };
      };
      t.true(
        fleet.engines.some(
          (e) =>
            e.name === inspect.Node.Name &&
            [...e.containers.values()].some((c) => c.name === 'bench-smoke'),
        ),
      );
    } finally {
      await skep.stop();
      await fleet.stop();
    }
  },
);

test.serial(
  'a short scale run, its fleet over two processes, reports what it measured',
  async (t) => {
    const out = join(mkdtempSync(join(tmpdir(), 'skep-bench-')), 'results.json');
    const tables = await bench([
      '--quick',
      '--scale=5',
      '--fleet-processes=2',
      '--no-real',
      '--no-build',
      '--no-metrics',
      '--no-failover',
      `--out=${out}`,
    ]);
    t.regex(tables, /fake engines × 30 containers/);
    const [result] = (JSON.parse(readFileSync(out, 'utf8')) as { scale: any[] }).scale;
    t.is(result.containers, 5 * 30);
    // both processes' engines are nodes: every node Healthy, every container listed
    t.deepEqual(result.fleet.engines, [2, 3]);
    t.true(result.list.bytes > 5 * 30 * 500, 'the list holds every container row');
    t.true(result.info.bytes > 0 && result.inspect.bytes > 1000);
    t.deepEqual(
      result.creates.map((c: { concurrency: number; ms: { count: number } }) => [
        c.concurrency,
        c.ms.count,
      ]),
      [
        [1, 50],
        [16, 50],
      ],
    );
    t.true(result.createsListedOnce, 'every create listed once');
    t.true(
      result.rssSettledMiB > 0 &&
        result.creates.every((c: { perSecond: number }) => c.perSecond > 0),
    );
  },
);
