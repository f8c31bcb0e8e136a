import { hostPorts, type HostPort, type SkepPlugin } from '../../core/plugin-api.js';

const ANY = new Set(['', '0.0.0.0', '::']);
/** Two bindings collide on the same port and protocol when their addresses overlap (a wildcard overlaps all). */
export const collide = (a: HostPort, b: HostPort) => a.port === b.port && a.protocol === b.protocol && (ANY.has(a.ip) || ANY.has(b.ip) || a.ip === b.ip);

/** A node where a wanted host port is taken by a container (running or stopped) is not a candidate. */
export function portFilter(): SkepPlugin {
  return {
    name: 'port',
    apply(hooks) {
      hooks.filter.tap('port', (nodes, context) => {
        const wanted = hostPorts(context.request.config);
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
