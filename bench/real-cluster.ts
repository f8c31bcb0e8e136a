import { TestCluster } from '../test/harness/cluster.js';
import { network } from '../test/harness/clusters.js';
import { healthyNodes, SkepProcess } from '../test/harness/skep.js';
import { realEngineSupport } from '../test/harness/support.js';
import { Client, loadAverage, throughput, type Timing, timing } from './measure.js';

/**
 * Its own names and subnet (test/harness/clusters.ts): the bench never touches a test run's or a
 * hand-made cluster's engines.
 */
const CLUSTER = { ...network('bench-real-cluster'), size: 3 } as const;
const CONTAINERS = 30;

export interface RealOptions {
  /** Interleaved rounds of each measurement (Skep, then the engine, then Skep...). */
  rounds: number;
  /** Calls per read per round. */
  callsPerRound: number;
  /** create+start+remove cycles per round. */
  cyclesPerRound: number;
  /** Seconds of each throughput run at 8 connections. */
  throughputSeconds: number;
}

export interface RealRow {
  call: string;
  engine: Timing;
  skep: Timing;
  /** Requests per second at 8 connections (reads only). */
  engineRate?: number;
  skepRate?: number;
}

export interface RealResult {
  rows: RealRow[];
  /** node3's link cut (its veth down), the manager on default settings: until `docker info` says Unhealthy. */
  cutLinkSeenMs?: number;
  loadBefore: string;
  loadAfter: string;
}

/** One create, start and forced remove: the `docker run --rm` a user waits on, minus the container's own run. */
async function cycle(client: Client, body: Record<string, unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  const created = JSON.parse(
    (await client.ok('POST', '/containers/create', body)).body.toString(),
  ) as { Id: string };
  await client.ok('POST', `/containers/${created.Id}/start`);
  await client.ok('DELETE', `/containers/${created.Id}?force=1`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** Skep over 3 real dockerd against the first of them called directly, the same calls interleaved round by round. */
export async function runReal(
  options: RealOptions,
  log: (line: string) => void,
): Promise<RealResult | { skipped: string }> {
  const support = realEngineSupport({ for: 'bench' });
  if (!support.ok) return { skipped: support.reason };
  const loadBefore = loadAverage();
  const cluster = await TestCluster.start({ ...CLUSTER });
  let skep: SkepProcess | undefined;
  const clients: Client[] = [];
  try {
    skep = await SkepProcess.start([cluster.discovery], { nodes: CLUSTER.size });
    const node1 = cluster.engines[0]!;
    const viaSkep = new Client('127.0.0.1', skep.port);
    const direct = new Client(node1.ip, 2375);
    clients.push(viaSkep, direct);
    for (let i = 0; i < CONTAINERS; i++) {
      const { Id } = JSON.parse(
        (
          await viaSkep.ok('POST', '/containers/create', {
            Image: 'busybox',
            Cmd: ['sleep', '3600'],
          })
        ).body.toString(),
      ) as { Id: string };
      await viaSkep.ok('POST', `/containers/${Id}/start`);
    }
    const onNode1 = (await direct.json<{ Id: string }[]>('/containers/json'))[0]!.Id;
    log(
      `  ${CONTAINERS} containers over ${CLUSTER.size} real engines; node1 holds ${(await direct.json<unknown[]>('/containers/json')).length}`,
    );

    const rows: RealRow[] = [];
    const reads = [
      ['GET /containers/json?all=1', '/containers/json?all=1'],
      ['GET /containers/{id}/json', `/containers/${onNode1}/json`],
      ['GET /info', '/info'],
    ] as const;
    for (const [call, path] of reads) {
      const samples = { skep: [] as number[], engine: [] as number[] };
      for (let round = 0; round < options.rounds; round++) {
        for (const [who, client] of [
          ['skep', viaSkep],
          ['engine', direct],
        ] as const) {
          for (let i = 0; i < options.callsPerRound; i++)
            samples[who].push((await client.ok('GET', path)).ms);
        }
      }
      const eight = {
        skep: new Client('127.0.0.1', skep.port, 8),
        engine: new Client(node1.ip, 2375, 8),
      };
      clients.push(eight.skep, eight.engine);
      const skepRate = await throughput(eight.skep, 8, options.throughputSeconds, path);
      const engineRate = await throughput(eight.engine, 8, options.throughputSeconds, path);
      rows.push({
        call,
        engine: timing(samples.engine),
        skep: timing(samples.skep),
        engineRate,
        skepRate,
      });
      log(
        `  ${call}: engine ${timing(samples.engine).median.toFixed(2)} ms, Skep ${timing(samples.skep).median.toFixed(2)} ms`,
      );
    }

    // the same engine both ways: Skep is told to place on node1
    const cycles = { skep: [] as number[], engine: [] as number[] };
    for (let round = 0; round < options.rounds; round++) {
      for (let i = 0; i < options.cyclesPerRound; i++)
        cycles.skep.push(
          await cycle(viaSkep, {
            Image: 'busybox',
            Cmd: ['true'],
            Env: [`constraint:node==${node1.name}`],
          }),
        );
      for (let i = 0; i < options.cyclesPerRound; i++)
        cycles.engine.push(await cycle(direct, { Image: 'busybox', Cmd: ['true'] }));
    }
    rows.push({
      call: 'create + start + remove',
      engine: timing(cycles.engine),
      skep: timing(cycles.skep),
    });
    log(
      `  create+start+remove: engine ${timing(cycles.engine).median.toFixed(1)} ms, Skep ${timing(cycles.skep).median.toFixed(1)} ms`,
    );

    // a cut link sends nothing: only the event stream's keepalive (or a check) can tell
    const cut = cluster.engines[2]!;
    const cutAt = Date.now();
    await cluster.link(cut, 'down');
    let cutLinkSeenMs: number | undefined;
    try {
      while (Date.now() - cutAt < 180_000) {
        if (
          healthyNodes(await viaSkep.json<Parameters<typeof healthyNodes>[0]>('/info')) ===
          CLUSTER.size - 1
        ) {
          cutLinkSeenMs = Date.now() - cutAt;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    } finally {
      await cluster.link(cut, 'up');
    }
    log(
      `  node3's link cut: Unhealthy after ${cutLinkSeenMs === undefined ? 'more than 180 s' : `${cutLinkSeenMs} ms`}`,
    );
    return { rows, cutLinkSeenMs, loadBefore, loadAfter: loadAverage() };
  } finally {
    for (const client of clients) client.close();
    await skep?.stop();
    await cluster.stop();
  }
}
