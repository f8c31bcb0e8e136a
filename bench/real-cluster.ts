import { existsSync } from 'node:fs';
import { ClassicManager } from '../test/harness/classic-manager.js';
import { TestCluster } from '../test/harness/cluster.js';
import { network } from '../test/harness/clusters.js';
import { healthyNodes, SkepProcess } from '../test/harness/skep.js';
import { CLASSIC_SWARM, realEngineSupport } from '../test/harness/support.js';
import { Client, loadAverage, throughput, type Timing, timing } from './measure.js';

/**
 * Its own names and subnet (test/harness/clusters.ts): the bench never touches a test run's or a
 * hand-made cluster's engines.
 */
const CLUSTER = { ...network('bench-real-cluster'), size: 3 } as const;
const CONTAINERS = 30;

export interface RealOptions {
  /** Interleaved rounds of each measurement (Skep, then the engine, then classic swarm, then Skep...). */
  rounds: number;
  /** Calls per read per round. */
  callsPerRound: number;
  /** create+start+remove cycles per round. */
  cyclesPerRound: number;
  /** Seconds of each throughput run at 8 connections. */
  throughputSeconds: number;
  /** Only the reads (no create cycles, no cut link): a quick before/after of the proxied path. */
  readsOnly?: boolean;
}

export interface RealRow {
  call: string;
  engine: Timing;
  skep: Timing;
  /** Classic swarm 1.2.9 over the same engines (reads only; none where its binary is missing). */
  classic?: Timing;
  /** Requests per second at 8 connections (reads only). */
  engineRate?: number;
  skepRate?: number;
  classicRate?: number;
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

/**
 * Skep over 3 real dockerd against the first of them called directly and against classic swarm over the same
 * three, the same calls interleaved round by round.
 */
export async function runReal(
  options: RealOptions,
  log: (line: string) => void,
): Promise<RealResult | { skipped: string }> {
  const support = realEngineSupport({ for: 'bench' });
  if (!support.ok) return { skipped: support.reason };
  const loadBefore = loadAverage();
  const cluster = await TestCluster.start({ ...CLUSTER });
  let skep: SkepProcess | undefined;
  let classic: ClassicManager | undefined;
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
    // started once the containers are there: its first read of the engines lists them
    if (existsSync(CLASSIC_SWARM))
      classic = await ClassicManager.start(cluster.discovery, { nodes: CLUSTER.size });
    else log(`  classic swarm not measured: no ${CLASSIC_SWARM}`);
    const viaClassic = classic && new Client('127.0.0.1', classic.port);
    if (viaClassic) clients.push(viaClassic);
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
      const samples = { skep: [] as number[], engine: [] as number[], classic: [] as number[] };
      const who = [
        ['skep', viaSkep],
        ['engine', direct],
        ...(viaClassic ? [['classic', viaClassic] as const] : []),
      ] as const;
      for (let round = 0; round < options.rounds; round++) {
        for (const [name, client] of who) {
          for (let i = 0; i < options.callsPerRound; i++)
            samples[name].push((await client.ok('GET', path)).ms);
        }
      }
      const eight = {
        skep: new Client('127.0.0.1', skep.port, 8),
        engine: new Client(node1.ip, 2375, 8),
        classic: classic && new Client('127.0.0.1', classic.port, 8),
      };
      clients.push(eight.skep, eight.engine, ...(eight.classic ? [eight.classic] : []));
      const skepRate = await throughput(eight.skep, 8, options.throughputSeconds, path);
      const engineRate = await throughput(eight.engine, 8, options.throughputSeconds, path);
      const classicRate =
        eight.classic && (await throughput(eight.classic, 8, options.throughputSeconds, path));
      const measured: RealRow = {
        call,
        engine: timing(samples.engine),
        skep: timing(samples.skep),
        engineRate,
        skepRate,
      };
      if (viaClassic) Object.assign(measured, { classic: timing(samples.classic), classicRate });
      rows.push(measured);
      const ms = (t?: Timing) => (t ? `${t.median.toFixed(2)} ms` : 'not measured');
      log(
        `  ${call}: engine ${ms(measured.engine)}, Skep ${ms(measured.skep)}, classic ${ms(measured.classic)}; ` +
          `@8: engine ${engineRate.toFixed(0)}/s, Skep ${skepRate.toFixed(0)}/s, classic ${classicRate?.toFixed(0) ?? '-'}/s`,
      );
    }

    if (options.readsOnly) return { rows, loadBefore, loadAfter: loadAverage() };

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
    await classic?.stop();
    await cluster.stop();
  }
}
