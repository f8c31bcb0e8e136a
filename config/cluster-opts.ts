import { ConfigError } from './errors.js';

/** The `--cluster-opt` values placement reads, with classic swarm's defaults. */
export interface SchedulingOptions {
  /** Reservations may exceed a node's CPUs and memory by this fraction (`swarm.overcommit`, 5%). */
  overcommit: number;
  /** After a failed create, how many more nodes to try, next in rank (`swarm.createretry`, 0). */
  createRetry: number;
}

export function schedulingOptions(clusterOpts: Record<string, string>): SchedulingOptions {
  const overcommit = Number(clusterOpts['swarm.overcommit'] ?? '0.05');
  const createRetry = Number(clusterOpts['swarm.createretry'] ?? '0');
  // classic's words (cluster/swarm/cluster.go NewCluster)
  if (!Number.isFinite(overcommit)) throw new ConfigError(`Failed to parse swarm.overcommit in Float (got "${clusterOpts['swarm.overcommit']}")`);
  if (overcommit <= -1) throw new ConfigError(`swarm.overcommit should be larger than -1, ${overcommit.toFixed(6)} is invalid`);
  if (!Number.isInteger(createRetry)) throw new ConfigError(`Failed to parse swarm.createretry in Int (got "${clusterOpts['swarm.createretry']}")`);
  if (createRetry < 0) throw new ConfigError(`swarm.createretry can not be negative, ${createRetry} is invalid`);
  return { overcommit, createRetry };
}
