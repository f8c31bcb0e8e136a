import type { Cluster } from '../cluster/cluster.js';
import type { Located } from '../cluster/container-index.js';
import type { Engine } from '../cluster/engine.js';
import { DockerError } from '../errors.js';

/** Classic swarm's fast 500 for a call that needs a node that is down, instead of a wait on it. */
export function requireHealthy(engine: Engine, what: string): Engine {
  if (engine.health !== 'healthy')
    throw new DockerError(500, `${what} running on unhealthy node ${engine.name}`);
  return engine;
}

/** The container a client named, on a node that can answer now; Docker's 404 otherwise. */
export function locateContainer(cluster: Cluster, ref: string): Located {
  const located = cluster.findContainer(ref);
  requireHealthy(located.engine, `Container ${ref}`);
  return located;
}
