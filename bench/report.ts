import type { BuildResult } from './buildkit.js';
import type { FailoverResult } from './failover.js';
import type { MetricsCostResult } from './metrics-cost.js';
import type { RealResult, RealRow } from './real-cluster.js';
import type { ScaleResult } from './scale.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pair = (t: { median: number; p99: number }) => `${ms(t.median)} / ${ms(t.p99)}`;

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`,
    ...rows.map(line),
  ].join('\n');
}

/** What a target measures, whatever its goal (undefined: this run did not measure it). */
interface Measure<R> {
  what: string;
  unit: string;
  measured: (r: R) => number | undefined;
}

interface Target<R> extends Measure<R> {
  /**
   * Classic swarm on this kind of machine, as the issue gives it (none: no figure given), or as the run
   * measured it.
   */
  classic?: string | ((r: R) => string);
  goal: string;
  met: (v: number, r: R) => boolean;
}

/** A goal of at most `limit`, its text as the issue words it. */
const upTo = (limit: number, note = '') => ({
  goal: `≤ ${limit}${note}`,
  met: (v: number) => v <= limit,
});
const atLeast = (limit: number) => ({ goal: `≥ ${limit}`, met: (v: number) => v >= limit });
/** Shown with its figure, without a goal of its own. */
const reported = { goal: 'reported', met: () => true };

const create = (r: ScaleResult, concurrency: number) =>
  r.creates.find((c) => c.concurrency === concurrency);

/**
 * RSS after 1,000 creates and removes: measured by bench/scale.ts once it has the block that does it (an older
 * result has no such field).
 */
const rssAfterCreateRemove = (r: ScaleResult) =>
  (r as ScaleResult & { rssAfterCreateRemoveMiB?: number }).rssAfterCreateRemoveMiB;

/** What the scale sizes measure (their goals differ). */
const SCALE = {
  healthy: { what: 'start → every node Healthy', unit: 'ms', measured: (r) => r.healthyMs },
  inventory: {
    what: 'start → every node Healthy and its inventory read',
    unit: 'ms',
    measured: (r) => r.inventoryMs,
  },
  rss: { what: 'RSS once settled', unit: 'MiB', measured: (r) => r.rssSettledMiB },
  rssHighest: {
    what: 'RSS, highest measured (settled, after the idle minute, after the calls)',
    unit: 'MiB',
    measured: (r) => Math.max(r.rssSettledMiB, r.rssAfterIdleMiB, r.rssAfterCallsMiB),
  },
  idleCpu: {
    what: 'idle CPU, default settings',
    unit: '% of a core',
    measured: (r) => r.idleCpuPercent,
  },
  info: { what: 'GET /info median', unit: 'ms', measured: (r) => r.info.median },
  list: {
    what: 'GET /containers/json?all=1 median',
    unit: 'ms',
    measured: (r) => r.list.median,
  },
  creates1: {
    what: 'creates at concurrency 1',
    unit: '/s',
    measured: (r) => create(r, 1)?.perSecond,
  },
  creates16: {
    what: 'creates at concurrency 16',
    unit: '/s',
    measured: (r) => create(r, 16)?.perSecond,
  },
  cpuPerCreate1: {
    what: 'manager CPU per create, concurrency 1',
    unit: 'ms',
    measured: (r) => create(r, 1)?.cpuMsPerCreate,
  },
  cpuPerCreate16: {
    what: 'manager CPU per create, concurrency 16',
    unit: 'ms',
    measured: (r) => create(r, 16)?.cpuMsPerCreate,
  },
} satisfies Record<string, Measure<ScaleResult>>;

/** The goal for RSS after 1,000 creates and removes (at 1,000 and 5,000 engines). */
const RSS_AFTER_CREATE_REMOVE: Target<ScaleResult> = {
  what: 'RSS after 1,000 creates and removes: over settled',
  unit: 'MiB',
  goal: '≤ settled + 20%',
  measured: (r) => {
    const after = rssAfterCreateRemove(r);
    return after === undefined ? undefined : after - r.rssSettledMiB;
  },
  met: (v, r) => v <= r.rssSettledMiB * 0.2,
};

/** The issues' targets at 1,000 fake engines × 30 containers (medians): issue 31's where it set one. */
const TARGETS_1000: Target<ScaleResult>[] = [
  { ...SCALE.healthy, ...reported },
  { ...SCALE.inventory, classic: '6700', ...upTo(2000) },
  { ...SCALE.rss, classic: '673', ...upTo(250) },
  {
    what: 'RSS growth over an idle minute',
    unit: 'MiB',
    goal: 'flat (≤ 5%)',
    measured: (r) => r.rssAfterIdleMiB - r.rssSettledMiB,
    met: (v, r) => v <= r.rssSettledMiB * 0.05,
  },
  RSS_AFTER_CREATE_REMOVE,
  { ...SCALE.idleCpu, ...upTo(1) },
  {
    what: 'idle requests to engines',
    unit: '/s',
    classic: '550 at 5-10 s refresh',
    measured: (r) => r.idleEngineRequestsPerSecond,
    ...upTo(5),
  },
  {
    what: 'a killed engine → Unhealthy',
    unit: 'ms',
    measured: (r) => r.killedSeenMs,
    ...upTo(5000, ' (as before)'),
  },
  { ...SCALE.info, classic: '49', ...upTo(5) },
  { ...SCALE.list, classic: '487', ...upTo(100) },
  { ...SCALE.creates1, classic: '9', ...atLeast(600) },
  { ...SCALE.creates16, classic: '10', ...atLeast(1500) },
  { ...SCALE.cpuPerCreate1, ...reported },
  { ...SCALE.cpuPerCreate16, ...reported },
  {
    what: 'creates race-free (each listed once)',
    unit: '1 = yes',
    goal: '1',
    measured: (r) => (r.createsListedOnce ? 1 : 0),
    met: (v) => v === 1,
  },
];

/** The issues' targets at 5,000 fake engines × 30 containers (150,000): issue 31's where it set one. */
const TARGETS_5000: Target<ScaleResult>[] = [
  { ...SCALE.healthy, ...upTo(8000) },
  { ...SCALE.inventory, ...upTo(8000) },
  { ...SCALE.rss, ...upTo(600) },
  RSS_AFTER_CREATE_REMOVE,
  { ...SCALE.info, ...upTo(25) },
  { ...SCALE.list, ...upTo(600) },
  { ...SCALE.creates1, ...atLeast(500) },
  { ...SCALE.creates16, ...atLeast(1000) },
  { ...SCALE.cpuPerCreate1, ...upTo(0.7) },
  { ...SCALE.cpuPerCreate16, ...upTo(0.7) },
  { ...SCALE.idleCpu, ...upTo(2) },
];

/** Issue 31's targets at 10,000 fake engines × 30 containers (300,000). */
const TARGETS_10000: Target<ScaleResult>[] = [
  { ...SCALE.healthy, ...upTo(15_000) },
  { ...SCALE.inventory, ...upTo(20_000) },
  { ...SCALE.rssHighest, ...upTo(1536) },
  { ...SCALE.info, ...upTo(50) },
  { ...SCALE.creates1, ...reported },
  { ...SCALE.creates16, ...atLeast(500) },
  { ...SCALE.cpuPerCreate1, ...reported },
  { ...SCALE.cpuPerCreate16, ...reported },
];

const shown = (v: number) => (Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 2));

function targetRows<R>(targets: Target<R>[], result: R): string[][] {
  return targets.map((t) => {
    const v = t.measured(result);
    // a figure reported without a goal is neither met nor missed
    const [figure, met] =
      v === undefined || Number.isNaN(v)
        ? ['not measured', 'NO']
        : [shown(v), t.goal === reported.goal ? '—' : t.met(v, result) ? 'yes' : 'NO'];
    const classic = typeof t.classic === 'function' ? t.classic(result) : (t.classic ?? '');
    return [`${t.what} (${t.unit})`, t.goal, classic, figure, met];
  });
}

export function scaleTable(results: ScaleResult[]): string {
  const cols = results.map((r) => `N=${r.engines}`);
  const row = (what: string, f: (r: ScaleResult) => string) => [what, ...results.map(f)];
  const kib = (mibs: number, per: number) => ((mibs * 1024) / per).toFixed(1);
  return table(
    ['fake engines × 30 containers', ...cols],
    [
      row('start → all Healthy (ms)', (r) => String(r.healthyMs)),
      row('start → every inventory read (ms)', (r) => String(r.inventoryMs)),
      row('  per node (ms)', (r) => (r.inventoryMs / r.engines).toFixed(2)),
      row('manager CPU per engine exchange until then (µs)', (r) =>
        r.cpuMicrosPerExchange.toFixed(0),
      ),
      row(
        'RSS settled / after an idle minute / after the calls (MiB)',
        (r) => `${r.rssSettledMiB} / ${r.rssAfterIdleMiB} / ${r.rssAfterCallsMiB}`,
      ),
      row(
        '  RSS settled per node / per container (KiB)',
        (r) => `${kib(r.rssSettledMiB, r.engines)} / ${kib(r.rssSettledMiB, r.containers)}`,
      ),
      row('idle CPU (% of a core)', (r) => r.idleCpuPercent.toFixed(2)),
      row('idle requests to engines (/s)', (r) => r.idleEngineRequestsPerSecond.toFixed(1)),
      row('GET /info median / p99 (ms)', (r) => pair(r.info)),
      row('GET /info size (KiB)', (r) => String(Math.round(r.info.bytes / 1024))),
      row('GET /containers/json?all=1 median / p99 (ms)', (r) => pair(r.list)),
      row('GET /containers/json?all=1 size (MiB)', (r) => (r.list.bytes / 2 ** 20).toFixed(1)),
      row('GET /containers/{id}/json median / p99 (ms)', (r) => pair(r.inspect)),
      ...[0, 1].flatMap((i) => [
        row(`creates at concurrency ${results[0]?.creates[i]?.concurrency} (/s)`, (r) =>
          r.creates[i]!.perSecond.toFixed(0),
        ),
        row(
          `  median / p99 (ms); manager CPU per create (ms)`,
          (r) => `${pair(r.creates[i]!.ms)}; ${r.creates[i]!.cpuMsPerCreate.toFixed(2)}`,
        ),
      ]),
      row('creates each listed once', (r) => (r.createsListedOnce ? 'yes' : 'NO')),
      row('a killed engine → Unhealthy (ms)', (r) => String(r.killedSeenMs)),
      row(
        'fake fleet: CPU per request (µs) / busiest (% of a core, all its processes)',
        (r) => `${r.fleetMicrosPerRequest.toFixed(0)} / ${r.fleetCpuPercentMax.toFixed(0)}`,
      ),
      row('fake fleet: processes / RSS after the calls, all (MiB)', (r) =>
        r.fleet ? `${r.fleet.processes} / ${r.fleet.rssMiB}` : '',
      ),
      row('CPU start → inventory: manager / fleet (% of a core)', (r) =>
        r.fleet
          ? `${r.fleet.managerCpuPercentToInventory.toFixed(0)} / ${r.fleet.cpuPercentToInventory.toFixed(0)}`
          : '',
      ),
      row(
        'load average before → after',
        (r) => `${r.loadBefore.split(' ')[0]} → ${r.loadAfter.split(' ')[0]}`,
      ),
    ],
  );
}

/**
 * Every scale target the issues set, for the sizes that ran (1,000, 5,000 and 10,000); a size whose run failed
 * has its rows as not measured, under the error that stopped it.
 */
export function targetsTable(
  results: ScaleResult[],
  failed: { engines: number; error: string }[] = [],
): string {
  const tables: string[] = [];
  for (const [engines, targets] of [
    [1000, TARGETS_1000],
    [5000, TARGETS_5000],
    [10_000, TARGETS_10000],
  ] as const) {
    const header = [`target at N=${engines}`, 'goal', 'classic swarm', 'Skep', 'met'];
    const result = results.find((r) => r.engines === engines);
    const failure = failed.find((f) => f.engines === engines);
    if (result) tables.push(table(header, targetRows(targets, result)));
    else if (failure)
      tables.push(
        `N=${engines} did not finish: ${failure.error}\n` +
          table(
            header,
            targets.map((t) => [
              `${t.what} (${t.unit})`,
              t.goal,
              typeof t.classic === 'string' ? t.classic : '',
              'not measured',
              'NO',
            ]),
          ),
      );
  }
  return tables.join('\n\n');
}

const row = (r: RealResult, call: string) => r.rows.find((x) => x.call === call);
const INSPECT = 'GET /containers/{id}/json';
/** A read's median through Skep (NaN where that part did not run). */
const skepMs = (r: RealResult, call: string) => row(r, call)?.skep.median ?? NaN;
/** Classic swarm's median for a read, measured beside Skep (undefined in a run without it). */
const classicMs = (r: RealResult, call: string) => row(r, call)?.classic?.median;
const measuredMs = (v: number | undefined) => (v === undefined ? 'not run' : v.toFixed(2));
/** Below classic's median, where the run measured classic; and below the engine's. */
const belowBoth = (call: string) => ({
  goal: '< classic and < engine',
  classic: (r: RealResult) => measuredMs(classicMs(r, call)),
  measured: (r: RealResult) => skepMs(r, call),
  met: (v: number, r: RealResult) =>
    v < (classicMs(r, call) ?? Infinity) && v < (row(r, call)?.engine.median ?? NaN),
});

/** The targets on the real 3-node cluster (medians); classic swarm is measured in the same run. */
const REAL_TARGETS: Target<RealResult>[] = [
  {
    what: 'GET /containers/{id}/json: added over the engine',
    unit: 'ms',
    goal: "≤ 0.3 and < classic's",
    classic: (r) => {
      const classic = classicMs(r, INSPECT);
      return classic === undefined
        ? 'not run'
        : `+${(classic - row(r, INSPECT)!.engine.median).toFixed(2)}`;
    },
    measured: (r) => skepMs(r, INSPECT) - (row(r, INSPECT)?.engine.median ?? NaN),
    met: (v, r) => v <= 0.3 && skepMs(r, INSPECT) < (classicMs(r, INSPECT) ?? Infinity),
  },
  {
    what: "GET /containers/{id}/json at 8 connections: of the engine's rate",
    unit: '%',
    classic: (r) => {
      const inspect = row(r, INSPECT);
      return inspect?.classicRate === undefined
        ? 'not run'
        : ((inspect.classicRate / inspect.engineRate!) * 100).toFixed(0);
    },
    measured: (r) =>
      ((row(r, INSPECT)?.skepRate ?? NaN) / (row(r, INSPECT)?.engineRate ?? NaN)) * 100,
    ...atLeast(50),
  },
  {
    what: 'GET /containers/json?all=1 (cached)',
    unit: 'ms',
    ...belowBoth('GET /containers/json?all=1'),
  },
  { what: 'GET /info (cached)', unit: 'ms', ...belowBoth('GET /info') },
  {
    what: 'a cut link → Unhealthy, default settings: within two heartbeats (60 s)',
    unit: 'ms',
    measured: (r) => r.cutLinkSeenMs ?? Infinity,
    ...upTo(120_000),
  },
  {
    what: 'create + start + remove: over the engine',
    unit: '%',
    measured: (r) => {
      const cycle = row(r, 'create + start + remove');
      return cycle ? (cycle.skep.median / cycle.engine.median - 1) * 100 : NaN;
    },
    ...upTo(2),
  },
];

export function realTargetsTable(result: RealResult): string {
  return table(
    ['target, 3 real engines', 'goal', 'classic swarm', 'Skep', 'met'],
    targetRows(REAL_TARGETS, result),
  );
}

export function realTable(result: RealResult): string {
  const rate = (v?: number) => (v === undefined ? '' : v.toFixed(0));
  const ratio = (r: RealRow) => (r.skep.median / r.engine.median).toFixed(2);
  return table(
    [
      '3 real engines, 30 containers',
      'engine median / p99 (ms)',
      'Skep median / p99 (ms)',
      'classic median / p99 (ms)',
      'Skep / engine',
      'engine req/s @8',
      'Skep req/s @8',
      'classic req/s @8',
    ],
    result.rows.map((r) => [
      r.call,
      pair(r.engine),
      pair(r.skep),
      r.classic ? pair(r.classic) : '',
      ratio(r),
      rate(r.engineRate),
      rate(r.skepRate),
      rate(r.classicRate),
    ]),
  );
}

/**
 * The failover part against the targets: median ≤ 3 s and worst ≤ 5 s from the kill to a
 * successful `docker run`.
 */
export function failoverTable(result: FailoverResult): string {
  const seconds = (v: number) => (v / 1000).toFixed(2);
  const failedRuns = result.rounds.reduce((n, r) => n + r.failedRuns, 0);
  const failedReads = result.rounds.reduce((n, r) => n + r.failedReads, 0);
  const reads = result.rounds.reduce((n, r) => n + r.reads, 0);
  return table(
    [
      `failover: 3 managers, ${result.store ?? '3-member etcd'}, TTL ${result.ttl}, ` +
        `primary killed ${result.rounds.length}×`,
      'goal',
      'Skep',
      'met',
    ],
    [
      [
        'kill -9 → first successful docker run via a replica, median (s)',
        '≤ 3',
        seconds(result.median),
        result.median <= 3000 ? 'yes' : 'NO',
      ],
      [
        'kill -9 → first successful docker run via a replica, worst (s)',
        '≤ 5',
        seconds(result.worst),
        result.worst <= 5000 ? 'yes' : 'NO',
      ],
      ['docker runs that failed meanwhile', '', String(failedRuns), ''],
      ['reads via the other replica that failed meanwhile', '', `${failedReads} of ${reads}`, ''],
    ],
  );
}

/** What metrics cost a request: alone, and end to end (target: under 2% of a request). */
export function metricsTable(result: MetricsCostResult): string {
  const share = (r: MetricsCostResult['rows'][number]) =>
    (result.perRequestMicros / 1000 / r.off.median) * 100;
  return [
    `Metrics on the hot path: ${result.perRequestMicros.toFixed(2)} µs per request in isolation ` +
      '(one HTTP sample and one engine exchange)',
    table(
      [
        'call, real cluster',
        'metrics off median / p99 (ms)',
        'on median / p99 (ms)',
        'end to end difference',
        'isolated cost share',
        'target < 2%',
      ],
      result.rows.map((r) => [
        r.call,
        pair(r.off),
        pair(r.on),
        `${r.costPercent >= 0 ? '+' : ''}${r.costPercent.toFixed(1)}%`,
        `${share(r).toFixed(2)}%`,
        share(r) < 2 ? 'met' : 'missed',
      ]),
    ),
  ].join('\n');
}

/** A BuildKit build through Skep and straight to its engine, with the goal. */
export function buildTable(result: BuildResult): string {
  const met = result.overheadPercent <= 5 ? 'yes' : 'NO';
  return table(
    [
      'BuildKit build, no cache (ms, median / p99)',
      'engine',
      'Skep',
      'Skep over the engine',
      'goal',
      'met',
    ],
    [
      [
        'docker build (buildx, small multi-stage)',
        pair(result.engine),
        pair(result.skep),
        `${result.overheadPercent.toFixed(1)}%`,
        '≤ +5%',
        met,
      ],
    ],
  );
}
