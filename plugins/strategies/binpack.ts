import type { SkepPlugin } from '../../core/plugin-api.js';
import { nodesThatFit, usageAfter, type StrategyOptions } from './fit.js';

/** The fullest node that still fits first, so one node fills before the next is used. */
export function binpackStrategy(options: StrategyOptions = {}): SkepPlugin {
  const overcommit = options.overcommit ?? 0.05;
  return {
    name: 'binpack',
    apply(hooks) {
      hooks.rank.tap('binpack', (nodes, context) =>
        nodesThatFit(nodes, context, overcommit, 'binpack').sort(
          (a, b) => usageAfter(b, context) - usageAfter(a, context) || b.containers - a.containers || a.name.localeCompare(b.name),
        ),
      );
    },
  };
}
