import { Counter } from 'prom-client';
import type { SkepPlugin } from 'skep';

/**
 * The operator listener, extended: a counter in `/metrics` and a route that lists the last
 * containers created through the cluster, with their nodes (`curl 127.0.0.1:9323/recent-creates`).
 */
export default function recentCreates(): SkepPlugin {
  return {
    name: 'recent-creates',
    apply(hooks, { operator }) {
      const created = new Counter({
        name: 'recent_creates_total',
        help: 'Containers created through the cluster.',
        registers: [operator.registry],
      });
      const recent: { name: string; node: string }[] = [];
      hooks.afterCreate.tap('recent-creates', (container) => {
        created.inc();
        recent.unshift({
          name: container.name ?? container.id.slice(0, 12),
          node: container.node.name,
        });
        recent.length = Math.min(recent.length, 20);
      });
      operator.route({ path: '/recent-creates', handle: () => ({ body: recent }) });
    },
  };
}
