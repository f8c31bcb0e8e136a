import {
  NodeIndex,
  nodeFits,
  nodesThatFit,
  type NodeFigures,
  type Reservation,
  type Scored,
  type SkepPlugin,
} from '../../core/plugin-api.js';

/** How full a node would be with the container: CPU and memory shares of capacity, summed. */
export function usageAfter(node: NodeFigures, reserve: Reservation): number {
  const cpu = node.cpus > 0 ? (node.reservedCpus + reserve.cpus) / node.cpus : 0;
  const memory = node.memory > 0 ? (node.reservedMemory + reserve.memory) / node.memory : 0;
  return cpu + memory;
}

/**
 * A stable last tie-break.
 * Plain code-unit order: localeCompare would cost most of a 1,000-node sort.
 */
export function byName(a: NodeFigures, b: NodeFigures): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface StrategyOptions {
  /** `swarm.overcommit`. */
  overcommit?: number;
}

/**
 * Nodes of one capacity keep their usage order whatever a container reserves: the index sorts
 * each capacity once.
 */
const capacity = (node: NodeFigures) => `${node.cpus}/${node.memory}`;

/**
 * A strategy that ranks the nodes that fit by one order, in both forms: `rank` sorts the
 * candidates (each node's usage worked out once: a sort compares ~10 times per node), `order`
 * reads an index of every node kept between placements, best first, as far as placement reads.
 */
export function sortingStrategy(
  name: string,
  options: StrategyOptions,
  compare: (a: Scored, b: Scored) => number,
): SkepPlugin {
  const overcommit = options.overcommit ?? 0.05;
  const index = new NodeIndex({ score: usageAfter, compare, classOf: capacity });
  return {
    name,
    apply(hooks) {
      hooks.rank.tap(name, (nodes, context) =>
        nodesThatFit(nodes, context, overcommit, name)
          .map((node): Scored => ({ node, score: usageAfter(node, context.reserve) }))
          .sort(compare)
          .map((r) => r.node as (typeof nodes)[number]),
      );
      hooks.order.tap(name, (_, context) => ({
        ranked(nodes, passes) {
          index.update(nodes);
          return index.ranked(
            context.reserve,
            (node) => passes(node) && nodeFits(node, context, overcommit, name),
          );
        },
      }));
    },
  };
}
