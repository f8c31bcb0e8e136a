import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { TestCluster } from '../test/harness/cluster.js';
import { network } from '../test/harness/clusters.js';
import { TestEtcd } from '../test/harness/etcd.js';
import { sleep } from '../test/harness/exec.js';
import { registerNodes, ReplicatedManagers } from '../test/harness/replicated.js';
import { REPO_ROOT, SWARM_BIN } from '../test/harness/skep.js';
import { realEngineSupport } from '../test/harness/support.js';
import { TestZookeeper } from '../test/harness/zookeeper.js';

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
  /** What the managers elect on. */
  store: string;
  ttl: string;
  rounds: FailoverRound[];
  median: number;
  worst: number;
}

/**
 * 3 managers with their defaults and 3 real engines, the primary killed `rounds` times; the
 * managers elect on a 3-member etcd, or on ZooKeeper (`store: 'zk'`: one server, its tick 500 ms so
 * that the 2 s TTL is the session timeout granted; Debian's default tick of 2 s grants 4 s at least).
 */
export async function runFailover(
  options: { rounds: number; store?: 'etcd' | 'zk' },
  log: (line: string) => void,
): Promise<FailoverResult | { skipped: string }> {
  const support = realEngineSupport({ for: 'bench' });
  if (!support.ok) return { skipped: support.reason };
  const cluster = await TestCluster.start({ ...CLUSTER });
  let etcd: TestEtcd | undefined;
  let zk: TestZookeeper | undefined;
  const agents: ChildProcess[] = [];
  let managers: ReplicatedManagers | undefined;
  try {
    let discovery: string;
    if (options.store === 'zk') {
      zk = await TestZookeeper.start(join(cluster.stateDir, 'zookeeper'));
      discovery = `zk://${zk.endpoint}/bench`;
      // ZooKeeper's registrations are ephemeral: the engines stay while their joins run
      for (const engine of cluster.engines) {
        const args = ['join', '--advertise', engine.addr, '--heartbeat', '1s', '--ttl', '3s'];
        agents.push(
          spawn(process.execPath, [SWARM_BIN, ...args, discovery], {
            cwd: REPO_ROOT,
            stdio: 'ignore',
          }),
        );
      }
    } else {
      etcd = await TestEtcd.start(join(cluster.stateDir, 'etcd'), undefined, 3);
      await registerNodes(
        etcd,
        'bench',
        cluster.engines.map((e) => e.addr),
      );
      discovery = `etcd://${etcd.endpoints}/bench`;
    }
    managers = await ReplicatedManagers.start({
      discovery,
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
      store: options.store === 'zk' ? 'ZooKeeper (tick 500 ms)' : '3-member etcd',
      ttl: '2s (default)',
      rounds,
      median: sorted[Math.floor((sorted.length - 1) / 2)]!,
      worst: sorted[sorted.length - 1]!,
    };
  } finally {
    await managers?.stop();
    for (const agent of agents) agent.kill('SIGKILL');
    await etcd?.stop();
    await zk?.kill();
    await cluster.stop();
  }
}
