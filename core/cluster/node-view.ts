import { hostPorts, type PortConfig } from '../host-ports.js';
import type { NodeContainer, NodeImage, NodeResource, NodeView } from '../pipeline-types.js';
import type { ContainerInspect } from './docker-types.js';
import type { Engine, PendingCreate } from './engine.js';
import { imageMatchesRef } from './image-ref.js';

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

/**
 * Reserved resources: every container counts, stopped ones too (classic swarm's rule), CpuShares read as
 * cores; and what creates under way hold.
 */
export function reservations(engine: Engine): { cpus: number; memory: number } {
  const ncpu = engine.info?.NCPU ?? 0;
  let shares = 0;
  let memory = 0;
  let pendingCpus = 0;
  for (const { inspect } of engine.containers.values()) {
    shares += inspect.HostConfig?.CpuShares ?? 0;
    memory += inspect.HostConfig?.Memory ?? 0;
  }
  for (const { reserve } of engine.pending) {
    pendingCpus += reserve.cpus;
    memory += reserve.memory;
  }
  return { cpus: (ncpu ? Math.round((shares * ncpu) / 1024) : 0) + pendingCpus, memory };
}

function cachedContainer(inspect: ContainerInspect): NodeContainer {
  return {
    id: inspect.Id,
    name: inspect.Name.replace(/^\//, ''),
    image: inspect.Config?.Image ?? '',
    labels: inspect.Config?.Labels ?? {},
    running: inspect.State.Running,
    hostPorts: hostPorts(inspect as PortConfig),
  };
}

function pendingContainer({ name, config }: PendingCreate): NodeContainer {
  return {
    id: '',
    name: name ?? '',
    image: config.Image ?? '',
    labels: config.Labels ?? {},
    running: false,
    hostPorts: hostPorts(config as PortConfig),
  };
}

/** The read-only picture of a node handed to plugins; reservations and the lists are computed when first read. */
export function nodeView(engine: Engine): NodeView {
  // read per create by the strategies, but not by the inspect and list rewrites that also get a view
  let reserved: { cpus: number; memory: number } | undefined;
  const reservedNow = () => (reserved ??= reservations(engine));
  let containerList: NodeContainer[] | undefined;
  let imageList: NodeImage[] | undefined;
  let networkList: NodeResource[] | undefined;
  let volumeList: NodeResource[] | undefined;
  return Object.freeze({
    id: engine.id,
    name: engine.name,
    addr: engine.addr,
    ip: engine.ip,
    health: engine.health,
    cpus: engine.info?.NCPU ?? 0,
    memory: engine.info?.MemTotal ?? 0,
    labels: Object.freeze(nodeLabels(engine)),
    containers: engine.containers.size + engine.pending.size,
    get reservedCpus() {
      return reservedNow().cpus;
    },
    get reservedMemory() {
      return reservedNow().memory;
    },
    serverVersion: engine.version?.Version ?? '',
    apiVersion: engine.version?.ApiVersion ?? '',
    get containerList() {
      containerList ??= [...[...engine.containers.values()].map((c) => cachedContainer(c.inspect)), ...[...engine.pending].map(pendingContainer)];
      return containerList;
    },
    get imageList() {
      imageList ??= engine.images.map((i) => ({ id: i.Id, tags: i.RepoTags ?? [], digests: i.RepoDigests ?? [] }));
      return imageList;
    },
    get networkList() {
      networkList ??= engine.networks.map((n) => ({ id: String(n.Id), name: String(n.Name), scope: String(n.Scope ?? 'local') }));
      return networkList;
    },
    get volumeList() {
      volumeList ??= engine.volumes.map((v) => ({ id: String(v.Name), name: String(v.Name), scope: String(v.Scope ?? 'local') }));
      return volumeList;
    },
    hasImage: (ref: string) => engine.images.some((image) => imageMatchesRef(image, ref)),
  });
}
