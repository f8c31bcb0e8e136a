import type { SkepPlugin } from './plugin.js';
import type { NodeView, ScheduleContext } from './pipeline-types.js';

/** A plugin from its name and what it taps: `definePlugin('add-label', (hooks) => { ... })`. */
export function definePlugin(
  name: string,
  apply: SkepPlugin['apply'],
  more: Omit<SkepPlugin, 'name' | 'apply'> = {},
): SkepPlugin {
  return { ...more, name, apply };
}

export interface FilterOptions {
  /**
   * What the filter requires of every node, in classic's words, for the no-node message
   * (`node!=node2`); nothing when it requires nothing of this placement.
   */
  condition?: (context: ScheduleContext) => readonly string[] | undefined;
  /**
   * Where its tap runs among the filters (`STAGE`); classic's filters run in the configured order.
   */
  stage?: number;
}

/**
 * A filter from its name and a test of one node: `true` keeps the node; a string leaves it out and
 * says why (the reason a user reads when nothing fits). The filter stage's list form, node by node.
 */
export function defineFilter(
  name: string,
  keep: (node: NodeView, context: ScheduleContext) => true | string,
  options: FilterOptions = {},
): SkepPlugin {
  return definePlugin(name, (hooks) => {
    hooks.filter.tap({ name, stage: options.stage }, (nodes, context) => {
      const list = options.condition?.(context);
      if (list) context.conditions.push({ by: name, list });
      return nodes.filter((node) => {
        const verdict = keep(node, context);
        if (verdict === true) return true;
        context.rejections.push({ node: node.name, by: name, reason: verdict });
        return false;
      });
    });
  });
}
