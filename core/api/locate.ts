import type { Cluster, Located } from '../cluster/cluster.js';
import { DockerError } from '../errors.js';

/** The container a client named, on a node that can answer now; Docker's 404, or classic swarm's 500 for a node that is down. */
export function locateContainer(cluster: Cluster, ref: string): Located {
  const located = cluster.findContainer(ref);
  if (located.engine.health !== 'healthy') {
    throw new DockerError(500, `Container ${ref} running on unhealthy node ${located.engine.name}`);
  }
  return located;
}
