import { SWARM_LABELS, type NodeView, type SkepPlugin } from '../../core/plugin-api.js';
import { expressionFilter, expressionText, valueMatches, type Expression } from './expressions.js';

/**
 * What a constraint key reads on a node: `node` is its name or ID,
 * anything else an engine label or standard tag.
 */
function actual(expression: Expression, node: NodeView): string[] {
  if (expression.key.toLowerCase() === 'node') return [node.name, node.id, node.id.split('|')[0]!];
  const value = node.labels[expression.key];
  return value === undefined ? [] : [value];
}

const holds = (expression: Expression, node: NodeView) =>
  actual(expression, node).some((v) => valueMatches(expression.value, v)) === expression.equal;

/**
 * `-e constraint:KEY==VALUE` (or `!=`, soft `==~` / `!=~`) and the label
 * `com.docker.swarm.constraints`: only nodes whose name, engine labels or standard tags
 * (storagedriver, kernelversion, operatingsystem, ostype) match.
 */
export function constraintFilter(): SkepPlugin {
  return expressionFilter({
    kind: 'constraint',
    label: SWARM_LABELS.constraints,
    holds,
    why: (e, node) => {
      const seen =
        e.key.toLowerCase() === 'node'
          ? `node=${node.name}`
          : `${e.key}=${node.labels[e.key] ?? 'not set'}`;
      return `constraint ${e.text} not met (${seen})`;
    },
    // classic's ConstraintFilter.GetFilters: without the soft flag
    condition: expressionText,
    // a key other than `node` reads the labels only: nodes with equal labels share the answer
    sharedBy: (e, node) => (e.key.toLowerCase() === 'node' ? undefined : node.labels),
  });
}
