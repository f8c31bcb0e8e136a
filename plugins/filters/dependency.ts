import {
  definePlacementFilter,
  type ContainerConfig,
  type NodeContainer,
  type NodeView,
  type SkepPlugin,
} from '../../core/plugin-api.js';

const PLUGIN_NAME = 'dependency';

interface Dependency {
  /** The flag that made it, for messages. */
  flag: string;
  ref: string;
}

interface DependencyConfig {
  VolumesFrom?: string[] | null;
  Links?: string[] | null;
  NetworkMode?: string;
  IpcMode?: string;
  PidMode?: string;
}

const containerMode = (mode: string | undefined) =>
  mode?.startsWith('container:') ? mode.slice('container:'.length) : undefined;

/**
 * The containers a create must sit next to:
 * `--volumes-from`, `--link`, `--net`/`--ipc`/`--pid=container:X`.
 */
export function dependencies(config: ContainerConfig): Dependency[] {
  const host = (config.HostConfig ?? {}) as DependencyConfig;
  const out: Dependency[] = [];
  for (const entry of host.VolumesFrom ?? [])
    out.push({ flag: '--volumes-from', ref: entry.split(':')[0]! });
  for (const entry of host.Links ?? []) out.push({ flag: '--link', ref: entry.split(':')[0]! });
  for (const [flag, mode] of [
    ['--net', host.NetworkMode],
    ['--ipc', host.IpcMode],
    ['--pid', host.PidMode],
  ] as const) {
    const ref = containerMode(mode);
    if (ref) out.push({ flag: `${flag}=container`, ref });
  }
  return out.map((d) => ({ ...d, ref: d.ref.replace(/^\//, '') }));
}

/**
 * What classic's DependencyFilter.GetFilters listed:
 * `--volumes-from=X`, `--link=X:alias`, `--net=container:X`.
 */
export function dependencyConditions(config: ContainerConfig): string[] {
  const host = (config.HostConfig ?? {}) as DependencyConfig;
  const list = (v: unknown) => (Array.isArray(v) ? (v as unknown[]).map(String) : []);
  return [
    ...list(host.VolumesFrom).map((v) => `--volumes-from=${v}`),
    ...list(host.Links).map((l) => `--link=${l}`),
    ...(containerMode(host.NetworkMode) ? [`--net=${host.NetworkMode}`] : []),
  ];
}

const BUILTIN_NETWORKS = new Set(['', 'default', 'bridge', 'host', 'none']);

interface ResourceConfig {
  NetworkMode?: string;
  Binds?: string[] | null;
  Mounts?: { Type?: string; Source?: string }[] | null;
}

/**
 * The networks and named volumes a create uses:
 * they live on one node each, so the container must go there too.
 */
export function resources(
  config: ContainerConfig,
): { flag: string; kind: 'network' | 'volume'; ref: string }[] {
  const host = (config.HostConfig ?? {}) as ResourceConfig;
  const endpoints = Object.keys(
    (config.NetworkingConfig as { EndpointsConfig?: Record<string, unknown> } | undefined)
      ?.EndpointsConfig ?? {},
  );
  const networks = new Set(
    [host.NetworkMode ?? '', ...endpoints].filter(
      (n) => !BUILTIN_NETWORKS.has(n) && !n.startsWith('container:'),
    ),
  );
  const volumes = new Set([
    ...(host.Binds ?? [])
      .map((b) => b.split(':')[0]!)
      .filter((src) => src !== '' && !src.startsWith('/')),
    ...(host.Mounts ?? [])
      .filter((m) => (m.Type ?? 'volume') === 'volume' && m.Source)
      .map((m) => m.Source!),
  ]);
  return [
    ...[...networks].map((ref) => ({ flag: '--network', kind: 'network' as const, ref })),
    ...[...volumes].map((ref) => ({ flag: '--volume', kind: 'volume' as const, ref })),
  ];
}

const hasResource = (node: NodeView, kind: 'network' | 'volume', ref: string) =>
  (kind === 'network' ? node.networkList : node.volumeList).some(
    (r) =>
      r.id === ref ||
      r.name === ref ||
      `${node.name}/${r.name}` === ref ||
      (kind === 'network' && ref.length >= 12 && r.id.startsWith(ref)),
  );

/** A reference as Docker resolves it on one node: full ID, name, `node/name`, or an ID prefix. */
const refers = (ref: string, node: NodeView, c: NodeContainer) =>
  c.id !== '' &&
  (c.id === ref ||
    c.name === ref ||
    `${node.name}/${c.name}` === ref ||
    (/^[0-9a-f]{4,63}$/i.test(ref) && c.id.startsWith(ref.toLowerCase())));

/** `node/name` as the chosen node's engine knows it: `name`. */
const local = (ref: string, node: NodeView) =>
  ref.replace(/^\//, '').startsWith(`${node.name}/`)
    ? ref.replace(/^\//, '').slice(node.name.length + 1)
    : ref;

/** The node has every container wanted, and every network or volume pinned. */
const nextTo =
  (wanted: Dependency[], pinned: ReturnType<typeof resources>) =>
  (node: NodeView): true | string => {
    const missing = wanted.find((d) => !node.containerList.some((c) => refers(d.ref, node, c)));
    if (missing) return `${missing.flag} ${missing.ref}: no such container on ${node.name}`;
    const elsewhere = pinned.find((r) => !hasResource(node, r.kind, r.ref));
    if (elsewhere)
      return `${elsewhere.flag} ${elsewhere.ref}: no such ${elsewhere.kind} on ${node.name}`;
    return true;
  };

/**
 * A container goes where its dependencies are (containers it shares volumes, links or namespaces
 * with; the networks and named volumes it uses). Dependencies on different nodes, or a missing
 * container, leave no node.
 */
export function dependencyFilter(): SkepPlugin {
  const filter = definePlacementFilter(
    PLUGIN_NAME,
    (context) => {
      context.conditions.push({
        by: PLUGIN_NAME,
        list: dependencyConditions(context.request.config),
      });
      const wanted = dependencies(context.request.config);
      const used = resources(context.request.config);
      if (wanted.length === 0 && used.length === 0) return undefined;
      // node by node, a network or volume pins the container to its holders; where no candidate
      // holds it, no node passes and the list form below decides (it pins to none)
      return nextTo(wanted, used);
    },
    {
      list(nodes, context, keepWith) {
        // a network or volume that some candidates have (and others not) pins the container
        const pinned = resources(context.request.config).filter((r) => {
          const holders = nodes.filter((n) => hasResource(n, r.kind, r.ref)).length;
          return holders > 0 && holders < nodes.length;
        });
        return keepWith(nextTo(dependencies(context.request.config), pinned));
      },
    },
  );
  return {
    name: PLUGIN_NAME,
    apply(hooks, tools) {
      filter.apply(hooks, tools);
      // The engine knows its containers, networks and volumes by their own names:
      // `node1/db` becomes `db` on node1.
      hooks.beforeEngineCreate.tap(PLUGIN_NAME, (config, { node }) => {
        const host = config.HostConfig as (DependencyConfig & Record<string, unknown>) | undefined;
        if (!host) return config;
        if (host.VolumesFrom) host.VolumesFrom = host.VolumesFrom.map((v) => local(v, node));
        if (host.Links) host.Links = host.Links.map((l) => local(l, node));
        for (const key of ['NetworkMode', 'IpcMode', 'PidMode'] as const) {
          const ref = containerMode(host[key]);
          if (ref) host[key] = `container:${local(ref, node)}`;
        }
        if (host.NetworkMode && !containerMode(host.NetworkMode))
          host.NetworkMode = local(host.NetworkMode, node);
        const resourceHost = host as ResourceConfig;
        if (resourceHost.Binds)
          resourceHost.Binds = resourceHost.Binds.map((b) =>
            b.startsWith('/') ? b : local(b, node),
          );
        if (resourceHost.Mounts)
          resourceHost.Mounts = resourceHost.Mounts.map((m) =>
            m.Source ? { ...m, Source: local(m.Source, node) } : m,
          );
        const networking = config.NetworkingConfig as
          { EndpointsConfig?: Record<string, unknown> } | undefined;
        if (networking?.EndpointsConfig) {
          networking.EndpointsConfig = Object.fromEntries(
            Object.entries(networking.EndpointsConfig).map(([k, v]) => [local(k, node), v]),
          );
        }
        return config;
      });
    },
  };
}
