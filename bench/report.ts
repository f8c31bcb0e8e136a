import type { FailoverResult } from './failover.js';
import type { MetricsCostResult } from './metrics-cost.js';
import type { RealResult, RealRow } from './real-cluster.js';
import type { ScaleResult } from './scale.js';

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const pair = (t: { median: number; p99: number }) => `${ms(t.median)} / ${ms(t.p99)}`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  return [line(header), `|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`, ...rows.map(line)].join('\n');
}

interface Target {
  what: string;
  /** Classic swarm on this kind of machine, as the issue gives it. */
  classic: string;
  goal: string;
  measured: (r: ScaleResult) => number;
  met: (v: number) => boolean;
  unit: string;
}

/** The targets at 1,000 engines × 30 containers (medians). */
const SCALE_TARGETS: Target[] = [
  { what: 'converge to all healthy', unit: 'ms', goal: '≤ 2000', classic: '5900', measured: (r) => r.convergeMs, met: (v) => v <= 2000 },
  { what: 'RSS settled', unit: 'MiB', goal: '≤ 250', classic: '662', measured: (r) => r.rssSettledMiB, met: (v) => v <= 250 },
  { what: 'RSS growth over an idle minute', unit: 'MiB', goal: '≤ 0', classic: '+74', measured: (r) => r.rssAfterIdleMiB - r.rssSettledMiB, met: (v) => v <= 0 },
  { what: 'idle CPU', unit: '% of a core', goal: '≤ 1', classic: '23', measured: (r) => r.idleCpuPercent, met: (v) => v <= 1 },
  { what: 'idle requests to engines', unit: '/s', goal: '≤ 20', classic: '552', measured: (r) => r.idleEngineRequestsPerSecond, met: (v) => v <= 20 },
  { what: 'GET /containers/json?all=1 median', unit: 'ms', goal: '≤ 120', classic: '345', measured: (r) => r.list.median, met: (v) => v <= 120 },
  { what: 'GET /info median', unit: 'ms', goal: '≤ 10', classic: '30', measured: (r) => r.info.median, met: (v) => v <= 10 },
  { what: 'creates at concurrency 1', unit: '/s', goal: '≥ 200', classic: '18', measured: (r) => r.creates[0]!.perSecond, met: (v) => v >= 200 },
];

export function scaleTable(results: ScaleResult[]): string {
  const cols = results.map((r) => `N=${r.engines}`);
  const row = (what: string, f: (r: ScaleResult) => string) => [what, ...results.map(f)];
  return table(
    ['fake engines × 30 containers', ...cols],
    [
      row('converge to all healthy (ms)', (r) => String(r.convergeMs)),
      row('RSS settled / after an idle minute (MiB)', (r) => `${r.rssSettledMiB} / ${r.rssAfterIdleMiB}`),
      row('idle CPU (% of a core)', (r) => r.idleCpuPercent.toFixed(2)),
      row('idle requests to engines (/s)', (r) => r.idleEngineRequestsPerSecond.toFixed(1)),
      row('GET /info median / p99 (ms)', (r) => pair(r.info)),
      row('GET /info size (KiB)', (r) => String(Math.round(r.info.bytes / 1024))),
      row('GET /containers/json?all=1 median / p99 (ms)', (r) => pair(r.list)),
      row('GET /containers/json?all=1 size (MiB)', (r) => (r.list.bytes / 2 ** 20).toFixed(1)),
      row('GET /containers/{id}/json median / p99 (ms)', (r) => pair(r.inspect)),
      ...[0, 1].flatMap((i) => [
        row(`creates at concurrency ${results[0]?.creates[i]?.concurrency} (/s)`, (r) => r.creates[i]!.perSecond.toFixed(0)),
        row(`  median / p99 (ms); manager CPU per create (ms)`, (r) => `${pair(r.creates[i]!.ms)}; ${r.creates[i]!.cpuMsPerCreate.toFixed(2)}`),
      ]),
      row('fake fleet busiest (% of a core)', (r) => r.fleetCpuPercentMax.toFixed(0)),
      row('load average before → after', (r) => `${r.loadBefore.split(' ')[0]} → ${r.loadAfter.split(' ')[0]}`),
    ],
  );
}

export function targetsTable(result: ScaleResult): string {
  return table(
    ['target at N=' + result.engines, 'goal', 'classic swarm', 'Skep', 'met'],
    SCALE_TARGETS.map((t) => {
      const v = t.measured(result);
      return [`${t.what} (${t.unit})`, t.goal, t.classic, Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 2), t.met(v) ? 'yes' : 'NO'];
    }),
  );
}

export function realTable(result: RealResult): string {
  const rate = (v?: number) => (v === undefined ? '' : v.toFixed(0));
  const ratio = (r: RealRow) => (r.skep.median / r.engine.median).toFixed(2);
  return table(
    ['3 real engines, 30 containers', 'engine median / p99 (ms)', 'Skep median / p99 (ms)', 'Skep / engine', 'engine req/s @8', 'Skep req/s @8'],
    result.rows.map((r) => [r.call, pair(r.engine), pair(r.skep), ratio(r), rate(r.engineRate), rate(r.skepRate)]),
  );
}

/** The failover part against the targets: median ≤ 3 s and worst ≤ 5 s from the kill to a successful `docker run`. */
export function failoverTable(result: FailoverResult): string {
  const seconds = (v: number) => (v / 1000).toFixed(2);
  const failedRuns = result.rounds.reduce((n, r) => n + r.failedRuns, 0);
  const failedReads = result.rounds.reduce((n, r) => n + r.failedReads, 0);
  const reads = result.rounds.reduce((n, r) => n + r.reads, 0);
  return table(
    [`failover: 3 managers, 3-member etcd, TTL ${result.ttl}, primary killed ${result.rounds.length}×`, 'goal', 'Skep', 'met'],
    [
      ['kill -9 → first successful docker run via a replica, median (s)', '≤ 3', seconds(result.median), result.median <= 3000 ? 'yes' : 'NO'],
      ['kill -9 → first successful docker run via a replica, worst (s)', '≤ 5', seconds(result.worst), result.worst <= 5000 ? 'yes' : 'NO'],
      ['docker runs that failed meanwhile', '', String(failedRuns), ''],
      ['reads via the other replica that failed meanwhile', '', `${failedReads} of ${reads}`, ''],
    ],
  );
}

/** What metrics cost a request: alone, and end to end (target: under 2% of a request). */
export function metricsTable(result: MetricsCostResult): string {
  const share = (r: MetricsCostResult['rows'][number]) => (result.perRequestMicros / 1000 / r.off.median) * 100;
  return [
    `Metrics on the hot path: ${result.perRequestMicros.toFixed(2)} µs per request in isolation (one HTTP sample and one engine exchange)`,
    table(
      ['call, real cluster', 'metrics off median / p99 (ms)', 'on median / p99 (ms)', 'end to end difference', 'isolated cost share', 'target < 2%'],
      result.rows.map((r) => [r.call, pair(r.off), pair(r.on), `${r.costPercent >= 0 ? '+' : ''}${r.costPercent.toFixed(1)}%`, `${share(r).toFixed(2)}%`, share(r) < 2 ? 'met' : 'missed']),
    ),
  ].join('\n');
}
