import type { NodeView, Rejection } from '../pipeline-types.js';

/**
 * Classic swarm's wording, so scripts that match it still do, then node by node what left it out
 * (`[node2: constraint storage==ssd not met (storage=disk)]`). When only health ruled nodes out, classic's
 * shorter "No healthy node available in the cluster".
 */
export function noNodeMessage(nodes: NodeView[], rejections: Rejection[]): string {
  if (nodes.length === 0) return 'No nodes in the cluster';
  if (rejections.length === 0) return 'Unable to find a node that satisfies the following conditions';
  if (rejections.every((r) => r.by === 'health')) return 'No healthy node available in the cluster';
  const lines = [...new Set(rejections.map((r) => `[${r.node}: ${r.reason}]`))];
  return `Unable to find a node that satisfies the following conditions \n${lines.join('\n')}`;
}
