import type { NodeView, ScheduleContext } from './pipeline-types.js';

const GiB = 1024 ** 3;
const size = (bytes: number) =>
  bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;

/**
 * Why the node lacks the CPUs or memory the container reserves (`context.reserve`), capacity
 * stretched by the overcommit fraction; nothing when it has them.
 */
export function unfit(node: NodeView, context: ScheduleContext, overcommit: number) {
  const { cpus, memory } = context.reserve;
  if (cpus > 0 && node.cpus * (1 + overcommit) - node.reservedCpus < cpus) {
    const free = Math.max(0, node.cpus - node.reservedCpus);
    return `${free} of ${node.cpus} CPUs free; the container reserves ${cpus} (CpuShares counts CPU cores)`;
  }
  if (memory > 0 && node.memory * (1 + overcommit) - node.reservedMemory < memory) {
    const free = Math.max(0, node.memory - node.reservedMemory);
    return `${size(free)} of ${size(node.memory)} memory free; the container reserves ${size(memory)}`;
  }
  return undefined;
}

/**
 * The node has what the container reserves; if not, it is rejected with what it has free
 * (`by`: the strategy's name). The node-by-node form of `nodesThatFit`, for a strategy's `order`.
 */
export function nodeFits(
  node: NodeView,
  context: ScheduleContext,
  overcommit: number,
  by: string,
): boolean {
  const reason = unfit(node, context, overcommit);
  if (reason === undefined) return true;
  context.rejections.push({ node: node.name, by, reason });
  return false;
}

/**
 * The nodes with the CPUs and memory the container reserves; the others are rejected with what
 * they have free. Every strategy ranks only these: a third-party strategy calls this first, as
 * the built-ins do (`by`: the strategy's name).
 */
export function nodesThatFit(
  nodes: NodeView[],
  context: ScheduleContext,
  overcommit: number,
  by: string,
): NodeView[] {
  return nodes.filter((node) => nodeFits(node, context, overcommit, by));
}
