import type { SkepPlugin } from './plugin.js';
import type { NodeView, ScheduleContext } from './pipeline-types.js';
import type { PluginHooks } from './plugin-hooks.js';

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

/** A test of one node: `true` keeps it, a string leaves it out and says why. */
export type KeepNode = (node: NodeView) => true | string;

export interface PlacementFilterOptions {
  stage?: number;
  /**
   * The filter over a whole list, when its answer for a node depends on the other nodes (a network
   * that pins the container only if some candidate has it). The node test must then keep no node
   * the list would leave out, and leave out every node only where the list may keep some: when no
   * node passes node by node, placement reads every node with the list forms.
   */
  list?: (
    nodes: NodeView[],
    context: ScheduleContext,
    keepWith: (keep: KeepNode) => NodeView[],
  ) => NodeView[];
}

/**
 * A filter prepared once per placement pass: `prepare` pushes the filter's conditions and returns
 * its test of one node, or nothing when it asks nothing of this placement. It taps both forms of
 * the filter stage: `filterNode` (placement reads the best ranked nodes first and stops at the
 * first that passes) and `filter` (the whole list, when some plugin gives only that form).
 */
export function definePlacementFilter(
  name: string,
  prepare: (context: ScheduleContext) => KeepNode | undefined,
  options: PlacementFilterOptions = {},
): SkepPlugin {
  return definePlugin(name, (hooks: PluginHooks) => {
    hooks.filter.tap({ name, stage: options.stage }, (nodes, context) => {
      const keep = prepare(context);
      if (!keep) return nodes;
      const keepWith = (test: KeepNode) =>
        nodes.filter((node) => {
          const verdict = test(node);
          if (verdict === true) return true;
          context.rejections.push({ node: node.name, by: name, reason: verdict });
          return false;
        });
      return options.list ? options.list(nodes, context, keepWith) : keepWith(keep);
    });
    hooks.filterNode.tap({ name, stage: options.stage }, ({ tests }, context) => {
      const keep = prepare(context);
      if (keep) tests.push({ by: name, keep });
    });
  });
}

/**
 * A filter from its name and a test of one node: `true` keeps the node; a string leaves it out and
 * says why (the reason a user reads when nothing fits). Placement reads it node by node, best
 * ranked first (see `definePlacementFilter`).
 */
export function defineFilter(
  name: string,
  keep: (node: NodeView, context: ScheduleContext) => true | string,
  options: FilterOptions = {},
): SkepPlugin {
  return definePlacementFilter(
    name,
    (context) => {
      const list = options.condition?.(context);
      if (list) context.conditions.push({ by: name, list });
      return (node) => keep(node, context);
    },
    { stage: options.stage },
  );
}
