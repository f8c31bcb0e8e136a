import type { NodeView } from '../pipeline-types.js';
import type { Engine } from './engine.js';

/** Engine labels (`key=value` strings) plus the standard tags classic swarm exposed for constraints. */
export function nodeLabels(engine: Engine): Record<string, string> {
  const info = engine.info;
  const labels: Record<string, string> = {};
  if (info?.KernelVersion) labels.kernelversion = info.KernelVersion;
  if (info?.OperatingSystem) labels.operatingsystem = info.OperatingSystem;
  if (info?.OSType) labels.ostype = info.OSType;
  if (info?.Driver) labels.storagedriver = info.Driver;
  for (const label of info?.Labels ?? []) {
    const eq = label.indexOf('=');
    if (eq > 0) labels[label.slice(0, eq)] = label.slice(eq + 1);
  }
  return labels;
}

/** Reserved resources: every container counts, stopped ones too (classic swarm's rule). CpuShares read as cores. */
export function reservations(engine: Engine): { cpus: number; memory: number } {
  const ncpu = engine.info?.NCPU ?? 0;
  let shares = 0;
  let memory = 0;
  for (const { inspect } of engine.containers.values()) {
    shares += inspect.HostConfig?.CpuShares ?? 0;
    memory += inspect.HostConfig?.Memory ?? 0;
  }
  return { cpus: ncpu ? Math.round((shares * ncpu) / 1024) : 0, memory };
}

/** The read-only picture of a node handed to plugins. */
export function nodeView(engine: Engine): NodeView {
  const reserved = reservations(engine);
  return Object.freeze({
    id: engine.id,
    name: engine.name,
    addr: engine.addr,
    ip: engine.ip,
    health: engine.health,
    cpus: engine.info?.NCPU ?? 0,
    memory: engine.info?.MemTotal ?? 0,
    labels: Object.freeze(nodeLabels(engine)),
    containers: engine.containers.size + engine.pendingCreates,
    reservedCpus: reserved.cpus,
    reservedMemory: reserved.memory,
    serverVersion: engine.version?.Version ?? '',
    apiVersion: engine.version?.ApiVersion ?? '',
  });
}
