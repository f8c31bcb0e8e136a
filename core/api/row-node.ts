import type { NodeView } from '../pipeline-types.js';

/**
 * Which node a row of a merged list came from.
 * A symbol key: spread copies keep it, JSON never shows it.
 */
const ROW_NODE = Symbol('skep.row-node');

export function withNode<T extends object>(row: T, node: NodeView): T {
  (row as Record<symbol, unknown>)[ROW_NODE] = node;
  return row;
}

export function nodeOf(row: object): NodeView | undefined {
  return (row as Record<symbol, NodeView | undefined>)[ROW_NODE];
}
