import type { SkepPlugin } from '../../core/plugin-api.js';
import { nodesThatFit, usageAfter, type StrategyOptions } from './fit.js';

/** The least loaded node first: fewest containers, then least reserved, then by name for a stable order. */
export function spreadStrategy(options: StrategyOptions = {}): SkepPlugin {
  const overcommit = options.overcommit ?? 0.05;
  return {
    name: 'spread',
    apply(hooks) {
      hooks.rank.tap('spread', (nodes, context) =>
        nodesThatFit(nodes, context, overcommit, 'spread').sort(
          (a, b) => a.containers - b.containers || usageAfter(a, context) - usageAfter(b, context) || a.name.localeCompare(b.name),
        ),
      );
    },
  };
}
