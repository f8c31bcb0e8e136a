import { ManagerMetrics } from '../core/operator/metrics.js';
import { TestCluster } from '../test/harness/cluster.js';
import { freePort, SkepProcess } from '../test/harness/skep.js';
import { realEngineSupport } from '../test/harness/support.js';
import { Client, type Timing, timing } from './measure.js';

/** Its own names and subnet, apart from the other bench parts and the tests. */
const CLUSTER = { prefix: 'skmetr', subnet: 27, size: 3 } as const;

export interface MetricsCostResult {
  /** What the metrics add to one proxied request, counted alone: its HTTP sample and one engine exchange (µs). */
  perRequestMicros: number;
  /** The same calls through a manager without the operator listener and one with it, interleaved round by round. */
  rows: { call: string; off: Timing; on: Timing; costPercent: number }[];
}

/** The hot path's share in isolation: what each request pays to the metrics, over many calls. */
function isolatedCost(iterations: number): number {
  const metrics = new ManagerMetrics();
  const routes = ['container.inspect', 'container.list', 'system.info', 'container.create'];
  const nodes = Array.from({ length: 100 }, (_, i) => `node${i}`);
  for (let i = 0; i < 10_000; i++) metrics.httpRequest(routes[i % 4]!, 200, 0.001);
  const started = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    metrics.httpRequest(routes[i % 4]!, 200, 0.001);
    metrics.engineExchange(nodes[i % 100]!, 'ok', 0.0005);
  }
  return Number(process.hrtime.bigint() - started) / 1000 / iterations;
}

/**
 * The cost of metrics on the hot path: in isolation (µs per request), and end to end on the real cluster, two
 * managers over the same engines, one with `--status-addr` (metrics on) and one without, the same calls
 * interleaved so that the machine's drift falls on both.
 */
export async function runMetricsCost(
  options: { rounds: number; callsPerRound: number },
  log: (line: string) => void,
): Promise<MetricsCostResult | { skipped: string }> {
  const perRequestMicros = isolatedCost(1_000_000);
  log(`  metrics per request, in isolation: ${perRequestMicros.toFixed(2)} µs`);
  const support = realEngineSupport({ for: 'bench' });
  if (!support.ok) return { skipped: support.reason };
  const cluster = await TestCluster.start({ ...CLUSTER });
  const managers: SkepProcess[] = [];
  const clients: Client[] = [];
  try {
    managers.push(await SkepProcess.start([cluster.discovery], { nodes: CLUSTER.size }));
    managers.push(
      await SkepProcess.start(
        ['--status-addr', `127.0.0.1:${await freePort()}`, cluster.discovery],
        { nodes: CLUSTER.size },
      ),
    );
    const [off, on] = managers.map((m) => new Client('127.0.0.1', m.port)) as [Client, Client];
    clients.push(off, on);
    const { Id } = JSON.parse(
      (
        await off.ok('POST', '/containers/create', { Image: 'busybox', Cmd: ['sleep', '3600'] })
      ).body.toString(),
    ) as { Id: string };
    await off.ok('POST', `/containers/${Id}/start`);
    // the second manager has it in its cache too
    for (let i = 0; i < 50 && (await on.call('GET', `/containers/${Id}/json`)).status !== 200; i++)
      await new Promise((r) => setTimeout(r, 100));
    const rows: MetricsCostResult['rows'] = [];
    for (const [call, path] of [
      ['GET /containers/{id}/json (proxied)', `/containers/${Id}/json`],
      ['GET /containers/json (cached)', '/containers/json'],
    ] as const) {
      const samples = { off: [] as number[], on: [] as number[] };
      // call by call, each manager first in turn: no drift, no order effect falls on one of them
      for (let i = 0; i < options.rounds * options.callsPerRound; i++) {
        const pair = i % 2 ? ([on, off] as const) : ([off, on] as const);
        for (const client of pair)
          (client === off ? samples.off : samples.on).push((await client.ok('GET', path)).ms);
      }
      const [a, b] = [timing(samples.off), timing(samples.on)];
      rows.push({ call, off: a, on: b, costPercent: ((b.median - a.median) / a.median) * 100 });
      log(`  ${call}: metrics off ${a.median.toFixed(3)} ms, on ${b.median.toFixed(3)} ms`);
    }
    return { perRequestMicros, rows };
  } finally {
    for (const client of clients) client.close();
    await Promise.all(managers.map((m) => m.stop()));
    await cluster.stop();
  }
}
