import {
  nodesThatFit,
  type NodeView,
  type ScheduleContext,
  type SkepPlugin,
} from '../../core/plugin-api.js';

/** How full a node would be with the container: CPU and memory shares of capacity, summed. */
export function usageAfter(node: NodeView, context: ScheduleContext): number {
  const cpu = node.cpus > 0 ? (node.reservedCpus + context.reserve.cpus) / node.cpus : 0;
  const memory = node.memory > 0 ? (node.reservedMemory + context.reserve.memory) / node.memory : 0;
  return cpu + memory;
}

/**
 * A stable last tie-break.
 * Plain code-unit order: localeCompare would cost most of a 1,000-node sort.
 */
export function byName(a: NodeView, b: NodeView): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface StrategyOptions {
  /** `swarm.overcommit`. */
  overcommit?: number;
}

/**
 * A node that fits, with its usage after the container worked out once
 * (a sort compares ~10 times per node).
 */
export interface Ranked {
  node: NodeView;
  usage: number;
}

/** A strategy that ranks the nodes that fit by one order. */
export function sortingStrategy(
  name: string,
  options: StrategyOptions,
  compare: (a: Ranked, b: Ranked) => number,
): SkepPlugin {
  const overcommit = options.overcommit ?? 0.05;
  return {
    name,
    apply(hooks) {
      hooks.rank.tap(name, (nodes, context) =>
        nodesThatFit(nodes, context, overcommit, name)
          .map((node): Ranked => ({ node, usage: usageAfter(node, context) }))
          .sort(compare)
          .map((r) => r.node),
      );
    },
  };
}
