import type { SkepPlugin } from '../../core/plugin-api.js';
import { byName, sortingStrategy, type StrategyOptions } from './fit.js';

/** The fullest node that still fits first, so one node fills before the next is used. */
export function binpackStrategy(options: StrategyOptions = {}): SkepPlugin {
  return sortingStrategy(
    'binpack',
    options,
    (a, b) => b.score - a.score || b.node.containers - a.node.containers || byName(a.node, b.node),
  );
}
