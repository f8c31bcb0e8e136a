import { SWARM_LABELS, type NodeView, type SkepPlugin } from '../../core/plugin-api.js';
import { expressionFilter, expressionText, type Expression } from './expressions.js';

/**
 * Classic's rule: whatever the key and operator,
 * the node's name must be one of the `|`-separated names.
 */
const holds = (expression: Expression, node: NodeView) =>
  expression.value.split('|').includes(node.name);

/**
 * `-e whitelist:node==node1|node2` and the label `com.docker.swarm.whitelists`: only the nodes
 * named (classic's WhitelistFilter; `docker volume create` uses the label to pick its nodes too).
 */
export function whitelistFilter(): SkepPlugin {
  return expressionFilter({
    kind: 'whitelist',
    label: SWARM_LABELS.whitelists,
    holds,
    why: (e, node) =>
      `whitelist ${e.text} not met (${node.name} is not one of ${e.value.split('|').join(', ')})`,
    condition: (e) => `${expressionText(e)} (soft=${e.soft})`,
  });
}
