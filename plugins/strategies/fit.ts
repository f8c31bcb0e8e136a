import type { NodeView, ScheduleContext, SkepPlugin } from '../../core/plugin-api.js';

const GiB = 1024 ** 3;
const size = (bytes: number) => (bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`);

/**
 * The nodes with the CPUs and memory the container reserves (`context.reserve`), capacity stretched by the
 * overcommit fraction; the others are rejected with what they have free. Every strategy ranks only these.
 */
export function nodesThatFit(nodes: NodeView[], context: ScheduleContext, overcommit: number, by: string): NodeView[] {
  const { cpus, memory } = context.reserve;
  return nodes.filter((node) => {
    if (cpus > 0 && node.cpus * (1 + overcommit) - node.reservedCpus < cpus) {
      const free = Math.max(0, node.cpus - node.reservedCpus);
      context.rejections.push({ node: node.name, by, reason: `${free} of ${node.cpus} CPUs free; the container reserves ${cpus} (CpuShares counts CPU cores)` });
      return false;
    }
    if (memory > 0 && node.memory * (1 + overcommit) - node.reservedMemory < memory) {
      const free = Math.max(0, node.memory - node.reservedMemory);
      context.rejections.push({ node: node.name, by, reason: `${size(free)} of ${size(node.memory)} memory free; the container reserves ${size(memory)}` });
      return false;
    }
    return true;
  });
}

/** How full a node would be with the container: CPU and memory shares of capacity, summed. */
export function usageAfter(node: NodeView, context: ScheduleContext): number {
  const cpu = node.cpus > 0 ? (node.reservedCpus + context.reserve.cpus) / node.cpus : 0;
  const memory = node.memory > 0 ? (node.reservedMemory + context.reserve.memory) / node.memory : 0;
  return cpu + memory;
}

/** A stable last tie-break. Plain code-unit order: localeCompare would cost most of a 1,000-node sort. */
export function byName(a: NodeView, b: NodeView): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export interface StrategyOptions {
  /** `swarm.overcommit`. */
  overcommit?: number;
}

/** A strategy that ranks the nodes that fit by one order. */
export function sortingStrategy(name: string, options: StrategyOptions, compare: (a: NodeView, b: NodeView, context: ScheduleContext) => number): SkepPlugin {
  const overcommit = options.overcommit ?? 0.05;
  return {
    name,
    apply(hooks) {
      hooks.rank.tap(name, (nodes, context) => nodesThatFit(nodes, context, overcommit, name).sort((a, b) => compare(a, b, context)));
    },
  };
}
