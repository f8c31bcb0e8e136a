import type { NodeView, ScheduleContext } from './pipeline-types.js';

const GiB = 1024 ** 3;
const size = (bytes: number) =>
  bytes >= GiB ? `${(bytes / GiB).toFixed(2)} GiB` : `${Math.round(bytes / 1024 ** 2)} MiB`;

/**
 * The nodes with the CPUs and memory the container reserves (`context.reserve`), capacity
 * stretched by the overcommit fraction; the others are rejected with what they have free. Every
 * strategy ranks only these: a third-party strategy calls this first, as the built-ins do
 * (`by`: the strategy's name).
 */
export function nodesThatFit(
  nodes: NodeView[],
  context: ScheduleContext,
  overcommit: number,
  by: string,
): NodeView[] {
  const { cpus, memory } = context.reserve;
  return nodes.filter((node) => {
    if (cpus > 0 && node.cpus * (1 + overcommit) - node.reservedCpus < cpus) {
      const free = Math.max(0, node.cpus - node.reservedCpus);
      context.rejections.push({
        node: node.name,
        by,
        reason: `${free} of ${node.cpus} CPUs free; the container reserves ${cpus} (CpuShares counts CPU cores)`,
      });
      return false;
    }
    if (memory > 0 && node.memory * (1 + overcommit) - node.reservedMemory < memory) {
      const free = Math.max(0, node.memory - node.reservedMemory);
      context.rejections.push({
        node: node.name,
        by,
        reason: `${size(free)} of ${size(node.memory)} memory free; the container reserves ${size(memory)}`,
      });
      return false;
    }
    return true;
  });
}
