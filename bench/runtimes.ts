/**
 * `npm run bench -- --runtimes=20=/usr/bin/node,24=node_modules/.bin/node [--rounds=2]`: the bench's real-cluster and
 * scale parts on each Node, interleaved (each round runs every runtime, in an order rotated round by round, so a
 * drift of the machine falls on all of them), then one table of medians over the rounds. Each run is
 * `bench/run.ts` under that Node, its figures written beside the others in --out's folder.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from './report.js';
import type { RealResult, RealRow } from './real-cluster.js';
import type { ScaleResult } from './scale.js';

export interface RuntimeOptions {
  /** label=path of a node binary, in the table's order */
  runtimes: { label: string; node: string }[];
  rounds: number;
  scale: number;
  idleSeconds: number;
  outDir: string;
  /** each run a short smoke run (--quick), for checking this driver */
  quick: boolean;
  /** a run whose figures are in outDir already is read, not run again (the table redrawn) */
  reuse: boolean;
}

interface Run {
  real?: RealResult | { skipped: string };
  scale: ScaleResult[];
}

const RUN_JS = fileURLToPath(new URL('./run.js', import.meta.url));

function runOnce(node: string, out: string, options: RuntimeOptions, log: (line: string) => void) {
  const args = [RUN_JS, '--no-build', '--no-metrics', '--no-failover', `--scale=${options.scale}`];
  args.push(`--idle=${options.idleSeconds}`, `--out=${out}`, ...(options.quick ? ['--quick'] : []));
  log(`  ${node} ${args.slice(1).join(' ')}`);
  return new Promise<void>((resolve, reject) => {
    const child = spawn(node, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${node}: bench exited ${code}`)),
    );
  });
}

const median = (values: number[]) => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '—');

const realRow = (run: Run, call: string): RealRow | undefined =>
  run.real && 'rows' in run.real ? run.real.rows.find((r) => r.call === call) : undefined;

/** The figures compared, each read from one run. */
const FIGURES: { what: string; digits: number; of: (run: Run) => number | undefined }[] = [
  {
    what: 'real: GET /containers/{id}/json, Skep median (ms)',
    digits: 2,
    of: (r) => realRow(r, 'GET /containers/{id}/json')?.skep.median,
  },
  {
    what: 'real: the same, over the engine (ms)',
    digits: 2,
    of: (r) => {
      const row = realRow(r, 'GET /containers/{id}/json');
      return row && row.skep.median - row.engine.median;
    },
  },
  {
    what: 'real: GET /containers/{id}/json at 8 connections (/s)',
    digits: 0,
    of: (r) => realRow(r, 'GET /containers/{id}/json')?.skepRate,
  },
  {
    what: 'real: GET /info, cached (ms)',
    digits: 2,
    of: (r) => realRow(r, 'GET /info')?.skep.median,
  },
  {
    what: 'real: GET /containers/json?all=1 (ms)',
    digits: 2,
    of: (r) => realRow(r, 'GET /containers/json?all=1')?.skep.median,
  },
  {
    what: 'real: create + start + remove (ms)',
    digits: 0,
    of: (r) => realRow(r, 'create + start + remove')?.skep.median,
  },
  { what: 'scale: start → all Healthy (ms)', digits: 0, of: (r) => r.scale[0]?.healthyMs },
  {
    what: 'scale: start → every inventory read (ms)',
    digits: 0,
    of: (r) => r.scale[0]?.inventoryMs,
  },
  { what: 'scale: RSS settled (MiB)', digits: 0, of: (r) => r.scale[0]?.rssSettledMiB },
  {
    what: 'scale: RSS after the idle window (MiB)',
    digits: 0,
    of: (r) => r.scale[0]?.rssAfterIdleMiB,
  },
  { what: 'scale: RSS after the calls (MiB)', digits: 0, of: (r) => r.scale[0]?.rssAfterCallsMiB },
  { what: 'scale: idle CPU (% of a core)', digits: 2, of: (r) => r.scale[0]?.idleCpuPercent },
  { what: 'scale: GET /info median (ms)', digits: 2, of: (r) => r.scale[0]?.info.median },
  {
    what: 'scale: GET /containers/json?all=1 median (ms)',
    digits: 1,
    of: (r) => r.scale[0]?.list.median,
  },
  {
    what: 'scale: creates at concurrency 1 (/s)',
    digits: 0,
    of: (r) => r.scale[0]?.creates[0]?.perSecond,
  },
  {
    what: 'scale: creates at concurrency 16 (/s)',
    digits: 0,
    of: (r) => r.scale[0]?.creates[1]?.perSecond,
  },
  {
    what: 'scale: manager CPU per create at 16 (ms)',
    digits: 2,
    of: (r) => r.scale[0]?.creates[1]?.cpuMsPerCreate,
  },
];

export async function runRuntimes(
  options: RuntimeOptions,
  log: (line: string) => void,
): Promise<string> {
  mkdirSync(options.outDir, { recursive: true });
  const runs = new Map(options.runtimes.map((r) => [r.label, [] as Run[]]));
  for (let round = 0; round < options.rounds; round++) {
    const order = options.runtimes.map(
      (_, i) => options.runtimes[(i + round) % options.runtimes.length]!,
    );
    for (const runtime of order) {
      log(`round ${round + 1}, Node ${runtime.label}:`);
      const out = join(options.outDir, `node${runtime.label}-round${round + 1}.json`);
      if (!(options.reuse && existsSync(out))) await runOnce(runtime.node, out, options, log);
      runs.get(runtime.label)!.push(JSON.parse(readFileSync(out, 'utf8')) as Run);
    }
  }
  const header = [
    'median of ' + options.rounds + ' interleaved rounds',
    ...options.runtimes.map((r) => `Node ${r.label}`),
  ];
  const rows = FIGURES.map((f) => [
    f.what,
    ...options.runtimes.map((r) =>
      fixed(median(runs.get(r.label)!.map((run) => f.of(run) ?? NaN)), f.digits),
    ),
  ]);
  return table(header, rows);
}
