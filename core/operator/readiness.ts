import type { Cluster } from '../cluster/cluster.js';
import type { ManagerRole } from '../replication/role.js';

/**
 * Whether the manager can place (`/readyz`): a healthy node whose first inventory is read
 * (its reservations are whole), and under replication a known primary.
 * The reason says which is missing.
 */
export function readiness(
  cluster: Cluster,
  role: ManagerRole,
): { ready: true } | { ready: false; reason: string } {
  const healthy = cluster.healthy();
  if (healthy.length === 0)
    return {
      ready: false,
      reason:
        cluster.engines.size === 0
          ? 'no nodes in the cluster'
          : `no healthy node (of ${cluster.engines.size})`,
    };
  if (!healthy.some((e) => e.inventoryRead))
    return { ready: false, reason: 'the first inventory of the healthy nodes is still being read' };
  if (role.replicated && !role.isPrimary() && !role.primary())
    return { ready: false, reason: `no primary manager is known: ${role.noPrimaryReason()}` };
  return { ready: true };
}
