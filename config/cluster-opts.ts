import { ConfigError } from './errors.js';

/**
 * Classic's cluster options and its words for a bad value (cluster/swarm/cluster.go NewCluster).
 */
export const CLUSTER_OPTS: Record<string, (v: string) => string | undefined> = {
  'swarm.overcommit': (v) => {
    if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v))
      return `Failed to parse swarm.overcommit in Float (strconv.ParseFloat: parsing "${v}": invalid syntax)`;
    return Number(v) <= -1
      ? `swarm.overcommit should be larger than -1, ${Number(v).toFixed(6)} is invalid`
      : undefined;
  },
  'swarm.createretry': (v) => {
    if (!/^[+-]?\d+$/.test(v))
      return `Failed to parse swarm.createretry in Int (strconv.Atoi: parsing "${v}": invalid syntax)`;
    return Number(v) < 0
      ? `swarm.createretry can not be negative, ${Number(v)} is invalid`
      : undefined;
  },
};

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
  if (!Number.isFinite(overcommit))
    throw new ConfigError(
      `Failed to parse swarm.overcommit in Float (got "${clusterOpts['swarm.overcommit']}")`,
    );
  if (overcommit <= -1)
    throw new ConfigError(
      `swarm.overcommit should be larger than -1, ${overcommit.toFixed(6)} is invalid`,
    );
  if (!Number.isInteger(createRetry))
    throw new ConfigError(
      `Failed to parse swarm.createretry in Int (got "${clusterOpts['swarm.createretry']}")`,
    );
  if (createRetry < 0)
    throw new ConfigError(`swarm.createretry can not be negative, ${createRetry} is invalid`);
  return { overcommit, createRetry };
}
