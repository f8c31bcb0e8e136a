import type { RequestContext } from '../pipeline-types.js';
import { nodeOf, withNode } from './row-node.js';

/**
 * Clients that must see names as one engine shows them. compose v2 lists its networks, volumes
 * and containers by its labels and keeps only those whose `Name` is the plain one it made
 * (`cv2_front`): with classic's `node1/cv2_front` its `down` removes nothing. It names itself in
 * its User-Agent (`compose/v2.40.3`, since 2.24). Every other client keeps classic's view, which
 * its scripts read.
 */
export function wantsEngineNames(context: RequestContext): boolean {
  return /^compose\//i.test(String(context.headers['user-agent'] ?? ''));
}

/**
 * Container rows with the node's prefix taken off their names
 * (the node-name-prefix built-in put it there).
 */
export function withEngineNames(
  rows: readonly Record<string, unknown>[],
): Record<string, unknown>[] {
  return rows.map((row) => {
    const node = nodeOf(row);
    const names = row.Names as string[] | null | undefined;
    if (!node || !names) return row;
    const prefix = `/${node.name}/`;
    return withNode(
      { ...row, Names: names.map((n) => (n.startsWith(prefix) ? n.slice(prefix.length - 1) : n)) },
      node,
    );
  });
}
