import { join } from 'node:path';
import { TestCluster } from '../test/harness/cluster.js';
import { network } from '../test/harness/clusters.js';
import { TestEtcd } from '../test/harness/etcd.js';
import { sleep } from '../test/harness/exec.js';
import { registerNodes, ReplicatedManagers } from '../test/harness/replicated.js';
import { realEngineSupport } from '../test/harness/support.js';

/** Its own names and subnet (test/harness/clusters.ts), apart from the tests' and the real-cluster bench's. */
const CLUSTER = { ...network('bench-failover'), size: 3 } as const;

export interface FailoverRound {
  /** From the kill -9 of the primary to the end of the first `docker run` through a replica that succeeded. */
  ms: number;
  /** `docker run`s through the replica that failed meanwhile (the next starts at once). */
  failedRuns: number;
  /** Reads (`GET /containers/json`) through the other replica, every 50 ms: how many failed. */
  reads: number;
  failedReads: number;
}

export interface FailoverResult {
  ttl: string;
  rounds: FailoverRound[];
  median: number;
  worst: number;
}

/** 3 managers with their defaults on a 3-member etcd and 3 real engines; the primary killed `rounds` times. */
export async function runFailover(
  options: { rounds: number },
  log: (line: string) => void,
): Promise<FailoverResult | { skipped: string }> {
  const support = realEngineSupport({ for: 'bench' });
  if (!support.ok) return { skipped: support.reason };
  const cluster = await TestCluster.start({ ...CLUSTER });
  let etcd: TestEtcd | undefined;
  let managers: ReplicatedManagers | undefined;
  try {
    etcd = await TestEtcd.start(join(cluster.stateDir, 'etcd'), undefined, 3);
    await registerNodes(
      etcd,
      'bench',
      cluster.engines.map((e) => e.addr),
    );
    managers = await ReplicatedManagers.start({
      etcd,
      path: 'bench',
      count: 3,
      nodes: CLUSTER.size,
    });
    const rounds: FailoverRound[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const primary = await managers.primary();
      const [runner, reader] = managers.alive.filter((s) => s !== primary) as [
        (typeof managers.slots)[0],
        (typeof managers.slots)[0],
      ];
      let reading = true;
      const readCounts = { reads: 0, failed: 0 };
      const reads = (async () => {
        while (reading) {
          const ok = await fetch(`${reader.process.url}/containers/json`, {
            signal: AbortSignal.timeout(10_000),
          }).then(
            (r) => r.status === 200,
            () => false,
          );
          readCounts.reads++;
          if (!ok) readCounts.failed++;
          await sleep(50);
        }
      })();
      await sleep(300);
      const killed = performance.now();
      managers.kill(primary);
      let failedRuns = 0;
      while (
        (
          await runner.process.docker([
            'run',
            '-d',
            '--label',
            'skep.bench=failover',
            'busybox',
            'true',
          ])
        ).code !== 0
      )
        failedRuns++;
      const ms = performance.now() - killed;
      reading = false;
      await reads;
      rounds.push({ ms, failedRuns, reads: readCounts.reads, failedReads: readCounts.failed });
      log(
        `  round ${round}: docker run through a replica ${(ms / 1000).toFixed(2)} s after the kill; ${failedRuns} runs and ${readCounts.failed} of ${readCounts.reads} reads failed`,
      );
      await managers.restart(primary);
    }
    const sorted = rounds.map((r) => r.ms).sort((a, b) => a - b);
    return {
      ttl: '2s (default)',
      rounds,
      median: sorted[Math.floor((sorted.length - 1) / 2)]!,
      worst: sorted[sorted.length - 1]!,
    };
  } finally {
    await managers?.stop();
    await etcd?.stop();
    await cluster.stop();
  }
}
