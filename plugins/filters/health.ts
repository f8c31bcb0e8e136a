import type { SkepPlugin } from '../../core/plugin-api.js';

const PLUGIN_NAME = 'health';

/** Only healthy nodes take new containers. */
export function healthFilter(): SkepPlugin {
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.filter.tap(PLUGIN_NAME, (nodes, context) => {
        // classic's health filter answered with its own error
        // when it left no node (filter/health.go)
        context.conditions.push({
          by: PLUGIN_NAME,
          list: [],
          whenNoneLeft: 'No healthy node available in the cluster',
        });
        return nodes.filter((node) => {
          if (node.health === 'healthy') return true;
          context.rejections.push({
            node: node.name,
            by: PLUGIN_NAME,
            reason: `the node is ${node.health}`,
          });
          return false;
        });
      });
    },
  };
}
