import { STAGE, type SkepPlugin } from '../../core/plugin-api.js';

/**
 * Node maintenance (`swarm node update --availability`): a node set to `pause` or `drain` takes nothing new,
 * whatever filters are configured. Runs before the filters, so their reasons speak of the nodes that remain.
 */
export function availability(): SkepPlugin {
  return {
    name: 'availability',
    apply(hooks) {
      hooks.filter.tap({ name: 'availability', stage: STAGE.NORMALIZE }, (nodes, context) =>
        nodes.filter((node) => {
          if (node.availability === 'active') return true;
          context.rejections.push({ node: node.name, by: 'availability', reason: `the node's availability is ${node.availability}` });
          return false;
        }),
      );
    },
  };
}
