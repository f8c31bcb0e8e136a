import { nodeFits, nodesThatFit, type NodeView, type SkepPlugin } from '../../core/plugin-api.js';
import type { StrategyOptions } from './fit.js';

const PLUGIN_NAME = 'random';

/**
 * The nodes in a random order, drawn one at a time (Fisher-Yates, the swaps kept aside): a
 * placement that takes the first node draws a few, not a shuffle of every node.
 */
function* drawn(nodes: readonly NodeView[]): Generator<NodeView> {
  const swapped = new Map<number, number>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    const picked = swapped.get(j) ?? j;
    swapped.set(j, swapped.get(i) ?? i);
    yield nodes[picked]!;
  }
}

/** Any node that fits, in random order. */
export function randomStrategy(options: StrategyOptions = {}): SkepPlugin {
  const overcommit = options.overcommit ?? 0.05;
  return {
    name: PLUGIN_NAME,
    apply(hooks) {
      hooks.rank.tap(PLUGIN_NAME, (nodes, context) => {
        const shuffled = nodesThatFit(nodes, context, overcommit, PLUGIN_NAME);
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(Math.random() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        return shuffled;
      });
      hooks.order.tap(PLUGIN_NAME, (_, context) => ({
        *ranked(nodes, passes) {
          for (const node of drawn(nodes))
            if (passes(node) && nodeFits(node, context, overcommit, PLUGIN_NAME)) yield node;
        },
      }));
    },
  };
}
