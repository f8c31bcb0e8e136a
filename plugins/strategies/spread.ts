import type { SkepPlugin } from '../../core/plugin-api.js';
import { byName, sortingStrategy, type StrategyOptions } from './fit.js';

/** The least loaded node first: fewest containers, then least reserved, then by name for a stable order. */
export function spreadStrategy(options: StrategyOptions = {}): SkepPlugin {
  return sortingStrategy('spread', options, (a, b, usage) => a.containers - b.containers || usage(a) - usage(b) || byName(a, b));
}
