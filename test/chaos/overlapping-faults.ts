import type { TestEngine } from '../harness/cluster.js';
import { sleep } from '../harness/exec.js';
import {
  type ChaosFault,
  containersOn,
  type FaultContext,
  pick,
  seenDown,
  shuffled,
} from './faults.js';

/** A moment within the next `ms`, so a second fault lands at a different step of the first's handling. */
const jitter = (ms: number) => sleep(Math.random() * ms);

/**
 * Faults that overlap (`npm run chaos -- --overlap`): each starts while the manager is still
 * answering another, where a create twin or a lost move hides. The last one needs replication.
 */
export const OVERLAPPING_FAULTS: ChaosFault[] = [
  {
    name: 'two engines down at once',
    async inject(context) {
      const { cluster, log } = context;
      const [first, second] = shuffled(cluster.engines) as [TestEngine, TestEngine];
      log(`fault: kill ${first.name}, then ${second.name} while ${first.name}'s containers move`);
      await cluster.kill(first);
      await seenDown(context, first);
      await jitter(1500);
      await cluster.kill(second);
      await sleep(6000);
      await cluster.restart(first);
      await sleep(2000);
      await cluster.restart(second);
    },
  },
  {
    name: 'manager restarted while an engine is down',
    async inject(context) {
      const { cluster, managers, log } = context;
      const engine = pick(cluster.engines);
      log(`fault: kill ${engine.name}, then restart the manager while it is down`);
      await cluster.kill(engine);
      await seenDown(context, engine);
      await jitter(1500);
      const slot = await managers.primary();
      await managers.stop(slot, 'SIGTERM');
      // two healthy nodes: the killed one is still down
      await managers.start(slot, cluster.engines.length - 1);
      await cluster.restart(engine);
    },
  },
  {
    name: 'link cut during a reschedule',
    async inject(context) {
      const { cluster, log } = context;
      // the engine with the most containers to move, and the node the spread strategy fills first
      const held = await Promise.all(cluster.engines.map((e) => containersOn(context, e, true)));
      const failed = cluster.engines[held.indexOf(Math.max(...held))]!;
      const others = cluster.engines.filter((e) => e !== failed);
      const counts = await Promise.all(others.map((e) => containersOn(context, e)));
      const target = others[counts.indexOf(Math.min(...counts))]!;
      log(
        `fault: kill ${failed.name} (${Math.max(...held)} containers to move), cut ${target.name}'s link once the first has moved`,
      );
      await cluster.kill(failed);
      const before = movesOff(context, failed);
      const moving = await firstMove(context, failed);
      if (!moving) log(`no container moved off ${failed.name} within 20 s: the link is cut anyway`);
      await cluster.link(target, 'down');
      const cutAt = movesOff(context, failed);
      await sleep(5000);
      await cluster.link(target, 'up');
      const cutEnd = movesOff(context, failed);
      await sleep(2000);
      await cluster.restart(failed);
      log(
        `moves off ${failed.name}: ${cutAt - before} before ${target.name}'s link was cut, ${cutEnd - cutAt} while it was, ${movesOff(context, failed) - cutEnd} after`,
      );
    },
  },
  {
    name: 'etcd quorum lost while the primary is killed',
    replicated: true,
    async inject(context) {
      const { managers, etcd, log } = context;
      if (!etcd) throw new Error('this fault needs replication');
      const primary = await managers.primary();
      const [first, second] = shuffled(etcd.members) as [
        (typeof etcd.members)[0],
        (typeof etcd.members)[0],
      ];
      log(
        `fault: kill etcd members ${first.name} and ${second.name}, then the primary ${primary.advertise}`,
      );
      await Promise.all([first.kill(), second.kill()]);
      await jitter(3000);
      await managers.stop(primary, 'SIGKILL');
      await sleep(4000);
      first.start();
      second.start();
      await etcd.waitHealthy();
      await managers.start(primary, context.cluster.engines.length);
    },
  },
];

/** How many moves off `failed` the managers' log tells of. */
const movesOff = (context: FaultContext, failed: TestEngine) =>
  context.managers.logs().match(new RegExp(`Rescheduled container .* from ${failed.name} to `, 'g'))
    ?.length ?? 0;

/** Until the managers' log says a container moved off `failed` (false after 20 s without). */
async function firstMove(context: FaultContext, failed: TestEngine): Promise<boolean> {
  const before = movesOff(context, failed);
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await sleep(100))
    if (movesOff(context, failed) > before) return true;
  return false;
}
