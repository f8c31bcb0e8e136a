import type { TestCluster, TestEngine } from '../harness/cluster.js';
import type { TestEtcd } from '../harness/etcd.js';
import { waitFor } from '../harness/exec.js';
import type { ChaosManagers } from './managers.js';

/** What a fault may act on. */
export interface FaultContext {
  cluster: TestCluster;
  managers: ChaosManagers;
  /** The managers' etcd, under replication. */
  etcd?: TestEtcd;
  log: (line: string) => void;
  /** The run's label value: its containers carry `skep.chaos=<run>`. */
  run: string;
}

/** One kind of fault: its name in the report, and how it is injected (and ended). */
export interface ChaosFault {
  name: string;
  /** Only with three replicated managers on etcd. */
  replicated?: boolean;
  inject(context: FaultContext): Promise<void>;
}

export const RESCHEDULE = 'com.docker.swarm.reschedule-policies';

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

/** `items` in a random order. */
export function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Until the managers see the node Unhealthy (they noticed, and the primary starts moving). */
export async function seenDown(context: FaultContext, engine: TestEngine): Promise<void> {
  await waitFor(
    `the managers to see ${engine.name} down`,
    async () =>
      (await context.managers.nodeStatus(engine.addr)) === 'Unhealthy' ? true : undefined,
    30_000,
    100,
  );
}

/** How many of the run's containers an engine holds (with the reschedule policy only, if asked). */
export async function containersOn(
  context: FaultContext,
  engine: TestEngine,
  rescheduled = false,
): Promise<number> {
  const filters = ['--filter', `label=skep.chaos=${context.run}`];
  if (rescheduled) filters.push('--filter', `label=${RESCHEDULE}`);
  const listed = await context.cluster.docker(engine, ['ps', '-aq', ...filters]);
  return listed.stdout.split('\n').filter(Boolean).length;
}
