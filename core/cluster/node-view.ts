import { hostPorts, type PortConfig } from '../host-ports.js';
import { namedVolumes } from '../volume-names.js';
import type { NodeContainer, NodeImage, NodeResource, NodeView } from '../pipeline-types.js';
import type { ContainerInspect } from './docker-types.js';
import type { Engine, PendingCreate } from './engine.js';
import { noteChanges } from '../node-index.js';
import { imageMatchesRef } from './image-ref.js';

/**
 * Engine labels (`key=value` strings) plus the standard tags classic swarm exposed for constraints.
 */
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
  return Object.assign(labels, engine.maintenance.labels);
}

function cachedContainer(inspect: ContainerInspect): NodeContainer {
  return {
    id: inspect.Id,
    name: inspect.Name.replace(/^\//, ''),
    image: inspect.Config?.Image ?? '',
    labels: inspect.Config?.Labels ?? {},
    running: inspect.State.Running,
    hostPorts: hostPorts(inspect as PortConfig),
    volumes: namedVolumes(inspect as Parameters<typeof namedVolumes>[0]),
  };
}

function pendingContainer({
  name,
  config,
}: NonNullable<PendingCreate['container']>): NodeContainer {
  return {
    id: '',
    name: name ?? '',
    image: config.Image ?? '',
    labels: config.Labels ?? {},
    running: false,
    hostPorts: hostPorts(config as PortConfig),
    volumes: namedVolumes(config as Parameters<typeof namedVolumes>[0]),
  };
}

/**
 * The read-only picture of a node handed to plugins. A class, not an object literal with getters:
 * placement makes one per node per create (1,000 at scale), so it must cost a few field writes.
 * Reservations and the lists are computed when first read.
 */
class EngineView implements NodeView {
  readonly id: string;
  readonly name: string;
  readonly addr: string;
  readonly ip: string;
  readonly health: NodeView['health'];
  readonly availability: NodeView['availability'];
  readonly cpus: number;
  readonly memory: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly containers: number;
  readonly serverVersion: string;
  readonly apiVersion: string;
  readonly #engine: Engine;
  #reserved?: { cpus: number; memory: number };
  #containerList?: NodeContainer[];
  #imageList?: NodeImage[];
  #networkList?: NodeResource[];
  #volumeList?: NodeResource[];

  constructor(engine: Engine) {
    this.#engine = engine;
    this.id = engine.id;
    this.name = engine.name;
    this.addr = engine.addr;
    this.ip = engine.ip;
    this.health = engine.health;
    this.availability = engine.maintenance.availability;
    this.cpus = engine.info?.NCPU ?? 0;
    this.memory = engine.info?.MemTotal ?? 0;
    this.labels = frozenLabels(engine);
    this.containers = engine.containers.size + engine.pendingContainers;
    this.serverVersion = engine.version?.Version ?? '';
    this.apiVersion = engine.version?.ApiVersion ?? '';
    Object.freeze(this);
  }

  get reservedCpus(): number {
    return (this.#reserved ??= this.#engine.reserved()).cpus;
  }

  get reservedMemory(): number {
    return (this.#reserved ??= this.#engine.reserved()).memory;
  }

  get containerList(): NodeContainer[] {
    const engine = this.#engine;
    return (this.#containerList ??= [
      ...[...engine.containers.values()].map((c) => cachedContainer(c.inspect)),
      ...[...engine.pending].flatMap((p) => (p.container ? [pendingContainer(p.container)] : [])),
    ]);
  }

  get imageList(): NodeImage[] {
    return (this.#imageList ??= this.#engine.images.map((i) => ({
      id: i.Id,
      tags: i.RepoTags ?? [],
      digests: i.RepoDigests ?? [],
    })));
  }

  get networkList(): NodeResource[] {
    return (this.#networkList ??= this.#engine.networks.map((n) => ({
      id: String(n.Id),
      name: String(n.Name),
      scope: String(n.Scope ?? 'local'),
    })));
  }

  get volumeList(): NodeResource[] {
    return (this.#volumeList ??= this.#engine.volumes.map((v) => ({
      id: String(v.Name),
      name: String(v.Name),
      scope: String(v.Scope ?? 'local'),
    })));
  }

  hasImage(ref: string): boolean {
    return this.#engine.images.some((image) => imageMatchesRef(image, ref));
  }
}

/**
 * A node's labels change only with its `/info` or its maintenance:
 * worked out once per change of either.
 */
const labelsByEngine = new WeakMap<
  Engine,
  { info?: object; maintenance: object; labels: Readonly<Record<string, string>> }
>();
function frozenLabels(engine: Engine): Readonly<Record<string, string>> {
  const made = labelsByEngine.get(engine);
  if (made && made.info === engine.info && made.maintenance === engine.maintenance)
    return made.labels;
  const labels = internedLabels(nodeLabels(engine));
  labelsByEngine.set(engine, { info: engine.info, maintenance: engine.maintenance, labels });
  return labels;
}

/**
 * Nodes with equal labels share one frozen object: a constraint's answer, which reads only
 * labels, is worked out once per set of labels in a placement (at 5,000 nodes, a handful of sets).
 * Held weakly: a set no node has any more is dropped.
 */
const labelSets = new Map<string, WeakRef<Readonly<Record<string, string>>>>();
const dropLabelSet = new FinalizationRegistry<string>((key) => {
  if (labelSets.get(key)?.deref() === undefined) labelSets.delete(key);
});
function internedLabels(labels: Record<string, string>): Readonly<Record<string, string>> {
  const key = JSON.stringify(labels);
  const shared = labelSets.get(key)?.deref();
  if (shared) return shared;
  const frozen = Object.freeze(labels);
  labelSets.set(key, new WeakRef(frozen));
  dropLabelSet.register(frozen, key);
  return frozen;
}

/**
 * Each node's last view, and the stamp it was made at:
 * this layer's cache, kept beside the engine, not on it.
 */
const lastViews = new WeakMap<Engine, { stamp: [number, number, number]; view: NodeView }>();

/**
 * The node's view for plugins. Made again only when the node changed: a create at 5,000 nodes
 * reads every node, and almost none changed since the last one (the check is three numbers on the
 * engine).
 */
export function nodeView(engine: Engine): NodeView {
  const last = lastViews.get(engine);
  if (last && !engine.changedSince(last.stamp)) return last.view;
  const view = new EngineView(engine);
  lastViews.set(engine, { stamp: engine.viewStamp(), view });
  return view;
}

/**
 * The views of a list of engines, kept between calls: the same array while no engine in it changed,
 * else a copy with the changed nodes' views made again, those told by `changed` (the cluster marks
 * an engine when anything its view shows changes). Placement asks for every node's view on every
 * create: at 5,000 nodes a check per node was a tenth of a create's CPU (each engine's counters a
 * cache miss away), and the index of a strategy learns which places changed (`noteChanges`).
 */
export class ViewList {
  #engines: readonly Engine[] = [];
  #views: readonly NodeView[] = [];
  #places = new Map<Engine, number>();

  of(engines: readonly Engine[], changed: Set<Engine>): readonly NodeView[] {
    if (engines !== this.#engines) {
      changed.clear();
      this.#engines = engines;
      this.#places = new Map(engines.map((engine, i) => [engine, i]));
      return (this.#views = engines.map(nodeView));
    }
    if (changed.size === 0) return this.#views;
    const views = this.#views.slice();
    const at: number[] = [];
    for (const engine of changed) {
      const place = this.#places.get(engine);
      if (place === undefined) continue;
      views[place] = nodeView(engine);
      at.push(place);
    }
    changed.clear();
    noteChanges(views, this.#views, at);
    return (this.#views = views);
  }
}
