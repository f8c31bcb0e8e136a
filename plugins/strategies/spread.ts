import type { SkepPlugin } from '../../core/plugin-api.js';
import { byName, sortingStrategy, type StrategyOptions } from './fit.js';

/**
 * The least loaded node first: fewest containers, then least reserved,
 * then by name for a stable order.
 */
export function spreadStrategy(options: StrategyOptions = {}): SkepPlugin {
  return sortingStrategy(
    'spread',
    options,
    (a, b) => a.node.containers - b.node.containers || a.score - b.score || byName(a.node, b.node),
  );
}
