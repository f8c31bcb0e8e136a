import { defineFilter, STAGE, type SkepPlugin } from '../../core/plugin-api.js';

/**
 * Node maintenance (`swarm node update --availability`):
 * a node set to `pause` or `drain` takes nothing new, whatever filters are configured.
 * Runs before the filters, so their reasons speak of the nodes that remain.
 */
export function availability(): SkepPlugin {
  return defineFilter(
    'availability',
    (node) => node.availability === 'active' || `the node's availability is ${node.availability}`,
    {
      stage: STAGE.NORMALIZE,
    },
  );
}
