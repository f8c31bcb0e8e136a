import type { ContainerConfig, NodeContainer, NodeView, SkepPlugin } from '../../core/plugin-api.js';

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

const containerMode = (mode: string | undefined) => (mode?.startsWith('container:') ? mode.slice('container:'.length) : undefined);

/** The containers a create must sit next to: `--volumes-from`, `--link`, `--net`/`--ipc`/`--pid=container:X`. */
export function dependencies(config: ContainerConfig): Dependency[] {
  const host = (config.HostConfig ?? {}) as DependencyConfig;
  const out: Dependency[] = [];
  for (const entry of host.VolumesFrom ?? []) out.push({ flag: '--volumes-from', ref: entry.split(':')[0]! });
  for (const entry of host.Links ?? []) out.push({ flag: '--link', ref: entry.split(':')[0]! });
  for (const [flag, mode] of [['--net', host.NetworkMode], ['--ipc', host.IpcMode], ['--pid', host.PidMode]] as const) {
    const ref = containerMode(mode);
    if (ref) out.push({ flag: `${flag}=container`, ref });
  }
  return out.map((d) => ({ ...d, ref: d.ref.replace(/^\//, '') }));
}

/** A reference as Docker resolves it on one node: full ID, name, `node/name`, or an ID prefix. */
const refers = (ref: string, node: NodeView, c: NodeContainer) =>
  c.id !== '' && (c.id === ref || c.name === ref || `${node.name}/${c.name}` === ref || (/^[0-9a-f]{4,63}$/i.test(ref) && c.id.startsWith(ref.toLowerCase())));

/** `node/name` as the chosen node's engine knows it: `name`. */
const local = (ref: string, node: NodeView) => (ref.replace(/^\//, '').startsWith(`${node.name}/`) ? ref.replace(/^\//, '').slice(node.name.length + 1) : ref);

/** A container goes where its dependencies are; dependencies on different nodes, or a missing one, leave no node. */
export function dependencyFilter(): SkepPlugin {
  return {
    name: 'dependency',
    apply(hooks) {
      hooks.filter.tap('dependency', (nodes, context) => {
        const wanted = dependencies(context.request.config);
        if (wanted.length === 0) return nodes;
        return nodes.filter((node) => {
          const missing = wanted.find((d) => !node.containerList.some((c) => refers(d.ref, node, c)));
          if (!missing) return true;
          context.rejections.push({ node: node.name, by: 'dependency', reason: `${missing.flag} ${missing.ref}: no such container on ${node.name}` });
          return false;
        });
      });
      // The engine knows its containers by their own names: `node1/db` becomes `db` on node1.
      hooks.beforeEngineCreate.tap('dependency', (config, { node }) => {
        const host = config.HostConfig as (DependencyConfig & Record<string, unknown>) | undefined;
        if (!host) return config;
        if (host.VolumesFrom) host.VolumesFrom = host.VolumesFrom.map((v) => local(v, node));
        if (host.Links) host.Links = host.Links.map((l) => local(l, node));
        for (const key of ['NetworkMode', 'IpcMode', 'PidMode'] as const) {
          const ref = containerMode(host[key]);
          if (ref) host[key] = `container:${local(ref, node)}`;
        }
        return config;
      });
    },
  };
}
