import type { ContainerConfig, HostPort, SkepPlugin } from '../../core/plugin-api.js';

interface PortConfig {
  HostConfig?: { PortBindings?: Record<string, { HostIp?: string; HostPort?: string }[] | null> | null; NetworkMode?: string };
  ExposedPorts?: Record<string, unknown> | null;
}

/** The host ports a create asks for: published bindings with a fixed port, and exposed ports under `--net=host`. */
export function requestedPorts(config: ContainerConfig): HostPort[] {
  const { HostConfig, ExposedPorts } = config as PortConfig;
  const out: HostPort[] = [];
  for (const [key, bindings] of Object.entries(HostConfig?.PortBindings ?? {})) {
    const protocol = key.split('/')[1] ?? 'tcp';
    for (const b of bindings ?? []) if (Number(b.HostPort || 0) > 0) out.push({ ip: b.HostIp || '0.0.0.0', port: Number(b.HostPort), protocol });
  }
  if (HostConfig?.NetworkMode === 'host') {
    for (const key of Object.keys(ExposedPorts ?? {})) {
      const [port, protocol = 'tcp'] = key.split('/');
      if (Number(port) > 0) out.push({ ip: '0.0.0.0', port: Number(port), protocol });
    }
  }
  return out;
}

const ANY = new Set(['', '0.0.0.0', '::']);
/** Two bindings collide on the same port and protocol when their addresses overlap (a wildcard overlaps all). */
export const collide = (a: HostPort, b: HostPort) => a.port === b.port && a.protocol === b.protocol && (ANY.has(a.ip) || ANY.has(b.ip) || a.ip === b.ip);

/** A node where a wanted host port is taken by a container (running or stopped) is not a candidate. */
export function portFilter(): SkepPlugin {
  return {
    name: 'port',
    apply(hooks) {
      hooks.filter.tap('port', (nodes, context) => {
        const wanted = requestedPorts(context.request.config);
        if (wanted.length === 0) return nodes;
        return nodes.filter((node) => {
          for (const container of node.containerList) {
            const taken = container.hostPorts.find((held) => wanted.some((w) => collide(w, held)));
            if (taken) {
              const by = container.name || 'a create under way';
              context.rejections.push({ node: node.name, by: 'port', reason: `port ${taken.port}/${taken.protocol} is already used on ${node.name} (by ${by})` });
              return false;
            }
          }
          return true;
        });
      });
    },
  };
}
