import type { SkepPlugin } from '../../core/plugin-api.js';

/** Only healthy nodes take new containers. */
export function healthFilter(): SkepPlugin {
  return {
    name: 'health',
    apply(hooks) {
      hooks.filter.tap('health', (nodes, context) =>
        nodes.filter((node) => {
          if (node.health === 'healthy') return true;
          context.rejections.push({ node: node.name, by: 'health', reason: `the node is ${node.health}` });
          return false;
        }),
      );
    },
  };
}
