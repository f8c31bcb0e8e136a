import type { SkepPlugin } from '../../core/plugin-api.js';

/** Only healthy nodes take new containers. */
export function healthFilter(): SkepPlugin {
  return {
    name: 'health',
    apply(hooks) {
      hooks.filter.tap('health', (nodes, context) => {
        // classic's health filter answered with its own error when it left no node (filter/health.go)
        context.conditions.push({ by: 'health', list: [], whenNoneLeft: 'No healthy node available in the cluster' });
        return nodes.filter((node) => {
          if (node.health === 'healthy') return true;
          context.rejections.push({ node: node.name, by: 'health', reason: `the node is ${node.health}` });
          return false;
        });
      });
    },
  };
}
