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
  if (!Number.isFinite(overcommit) || overcommit <= -1) throw new ConfigError(`"swarm.overcommit" must be a number above -1 (got "${clusterOpts['swarm.overcommit']}")`);
  if (!Number.isInteger(createRetry) || createRetry < 0) throw new ConfigError(`"swarm.createretry" must be a whole number (got "${clusterOpts['swarm.createretry']}")`);
  return { overcommit, createRetry };
}
