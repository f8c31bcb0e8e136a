import type { Cluster } from '../cluster/cluster.js';
import type { Engine } from '../cluster/engine.js';
import { nodeLabels } from '../cluster/node-view.js';
import type { ManagerRole } from '../replication/role.js';
import { SKEP_VERSION } from '../version.js';

/** One node as the status page shows it. */
export interface NodeStatus {
  addr: string;
  name: string;
  id: string;
  health: string;
  availability: string;
  error: string;
  version: string;
  labels: Record<string, string>;
  running: number;
  paused: number;
  stopped: number;
  cpus: number;
  reservedCpus: number;
  memory: number;
  reservedMemory: number;
}

export interface ManagerStatus {
  version: string;
  role: 'primary' | 'replica';
  primary: string | null;
  strategy: string;
  filters: string[];
  nodes: number;
}

export function nodeStatus(engine: Engine): NodeStatus {
  const { size, running, paused } = engine.containers;
  const reserved = engine.reserved();
  return {
    addr: engine.addr,
    name: engine.name,
    id: engine.info?.ID ?? '',
    health: engine.health,
    availability: engine.maintenance.availability,
    error: engine.lastError ?? '',
    version: engine.version?.Version ?? '',
    labels: nodeLabels(engine),
    running,
    paused,
    stopped: size - running - paused,
    cpus: engine.info?.NCPU ?? 0,
    reservedCpus: reserved.cpus,
    memory: engine.info?.MemTotal ?? 0,
    reservedMemory: reserved.memory,
  };
}

export function managerStatus(
  cluster: Cluster,
  role: ManagerRole,
  scheduling: { strategy: string; filters: string[] },
): ManagerStatus {
  const primary = !role.replicated || role.isPrimary();
  // without replication this manager is the only one: it is its own primary
  const own = role.advertise ?? 'this manager';
  return {
    version: SKEP_VERSION,
    role: primary ? 'primary' : 'replica',
    primary: primary ? own : (role.primary() ?? null),
    ...scheduling,
    nodes: cluster.engines.size,
  };
}
