import { nodesThatFit, type SkepPlugin } from '../../core/plugin-api.js';
import type { StrategyOptions } from './fit.js';

const PLUGIN_NAME = 'random';

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
    },
  };
}
