import type { SkepPlugin } from 'skep';

export interface VetoNodeOptions {
  /** The node name that takes no new containers (it keeps the ones it has). */
  node: string;
}

/** Keeps new containers off one node, for example while it is drained; the refusal shows in scheduling errors. */
export default function vetoNode(options?: VetoNodeOptions): SkepPlugin {
  const vetoed = options?.node;
  if (!vetoed) throw new Error('veto-node needs a "node" option');
  return {
    name: 'veto-node',
    apply(hooks) {
      hooks.filter.tap('veto-node', (nodes, context) => {
        // what this filter requires of every node, for classic's no-node message
        context.conditions.push({ by: 'veto-node', list: [`node!=${vetoed}`] });
        return nodes.filter((node) => {
          if (node.name !== vetoed) return true;
          context.rejections.push({ node: node.name, by: 'veto-node', reason: `node ${node.name} takes no new containers (veto-node)` });
          return false;
        });
      });
    },
  };
}
