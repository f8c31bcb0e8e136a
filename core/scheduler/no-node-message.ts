import type { NodeView, Rejection } from '../pipeline-types.js';

/**
 * Classic swarm's wording, so scripts that match it still do, with each reason on its own line. When only
 * health ruled nodes out, classic's shorter "No healthy node available in the cluster".
 */
export function noNodeMessage(nodes: NodeView[], rejections: Rejection[]): string {
  if (nodes.length === 0) return 'No nodes in the cluster';
  const reasons = [...new Set(rejections.map((r) => r.reason))];
  if (reasons.length === 0) return 'Unable to find a node that satisfies the following conditions';
  if (rejections.every((r) => r.by === 'health')) return 'No healthy node available in the cluster';
  return `Unable to find a node that satisfies the following conditions \n${reasons.map((r) => `[${r}]`).join('\n')}`;
}
