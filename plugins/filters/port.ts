import {
  definePlacementFilter,
  hostPorts,
  type ContainerConfig,
  type HostPort,
  type SkepPlugin,
} from '../../core/plugin-api.js';

const PLUGIN_NAME = 'port';

const ANY = new Set(['', '0.0.0.0', '::']);
/**
 * Two bindings collide on the same port and protocol when their addresses overlap
 * (a wildcard overlaps all).
 */
export const collide = (a: HostPort, b: HostPort) =>
  a.port === b.port &&
  a.protocol === b.protocol &&
  (ANY.has(a.ip) || ANY.has(b.ip) || a.ip === b.ip);

/**
 * What classic's PortFilter.GetFilters listed: `port 80/tcp (Host mode)` under host networking,
 * else `port 8080 (Bridge mode)`.
 */
export function portConditions(config: ContainerConfig): string[] {
  // a body is the client's: anything that is not the documented shape lists nothing
  const host = (config.HostConfig ?? {}) as { NetworkMode?: unknown; PortBindings?: unknown };
  const exposed = config.ExposedPorts;
  if (host.NetworkMode === 'host')
    return exposed && typeof exposed === 'object'
      ? Object.keys(exposed).map((p) => `port ${p} (Host mode)`)
      : [];
  const bindings =
    host.PortBindings && typeof host.PortBindings === 'object'
      ? Object.values(host.PortBindings)
      : [];
  return bindings
    .flatMap((list) => (Array.isArray(list) ? list : []))
    .map(
      (b) => `port ${String((b as { HostPort?: unknown } | null)?.HostPort ?? '')} (Bridge mode)`,
    );
}

/**
 * A node where a wanted host port is taken by a container (running or stopped) is not a candidate.
 */
export function portFilter(): SkepPlugin {
  return definePlacementFilter(PLUGIN_NAME, (context) => {
    context.conditions.push({ by: PLUGIN_NAME, list: portConditions(context.request.config) });
    const wanted = hostPorts(context.request.config);
    if (wanted.length === 0) return undefined;
    return (node) => {
      for (const container of node.containerList) {
        const taken = container.hostPorts.find((held) => wanted.some((w) => collide(w, held)));
        if (taken) {
          const by = container.name || 'a create under way';
          return `port ${taken.port}/${taken.protocol} is already used on ${node.name} (by ${by})`;
        }
      }
      return true;
    };
  });
}
