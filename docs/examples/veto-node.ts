import { defineFilter, type SkepPlugin } from 'skep';

export interface VetoNodeOptions {
  /** The node name that takes no new containers (it keeps the ones it has). */
  node: string;
}

/**
 * Keeps new containers off one node, for example while it is drained;
 * the refusal shows in scheduling errors.
 */
export default function vetoNode(options?: VetoNodeOptions): SkepPlugin {
  const vetoed = options?.node;
  if (!vetoed) throw new Error('veto-node needs a "node" option');
  return defineFilter(
    'veto-node',
    (node) => node.name !== vetoed || `node ${node.name} takes no new containers (veto-node)`,
    {
      // what this filter requires of every node, for classic's no-node message
      condition: () => [`node!=${vetoed}`],
    },
  );
}
