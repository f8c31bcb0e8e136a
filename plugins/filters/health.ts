import { definePlacementFilter, type SkepPlugin } from '../../core/plugin-api.js';

const PLUGIN_NAME = 'health';

/** Only healthy nodes take new containers. */
export function healthFilter(): SkepPlugin {
  return definePlacementFilter(PLUGIN_NAME, (context) => {
    // classic's health filter answered with its own error when it left no node (filter/health.go)
    context.conditions.push({
      by: PLUGIN_NAME,
      list: [],
      whenNoneLeft: 'No healthy node available in the cluster',
    });
    return (node) => node.health === 'healthy' || `the node is ${node.health}`;
  });
}
