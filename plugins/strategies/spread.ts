import type { SkepPlugin } from '../../core/plugin-api.js';
import { byName, sortingStrategy, usageAfter, type StrategyOptions } from './fit.js';

/** The least loaded node first: fewest containers, then least reserved, then by name for a stable order. */
export function spreadStrategy(options: StrategyOptions = {}): SkepPlugin {
  return sortingStrategy('spread', options, (a, b, context) => a.containers - b.containers || usageAfter(a, context) - usageAfter(b, context) || byName(a, b));
}
