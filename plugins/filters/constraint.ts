import type { NodeView, SkepPlugin } from '../../core/plugin-api.js';
import { expressionFilter, valueMatches, type Expression } from './expressions.js';

export const CONSTRAINTS_LABEL = 'com.docker.swarm.constraints';

/** What a constraint key reads on a node: `node` is its name or ID, anything else an engine label or standard tag. */
function actual(expression: Expression, node: NodeView): string[] {
  if (expression.key.toLowerCase() === 'node') return [node.name, node.id, node.id.split('|')[0]!];
  const value = node.labels[expression.key];
  return value === undefined ? [] : [value];
}

const holds = (expression: Expression, node: NodeView) => actual(expression, node).some((v) => valueMatches(expression.value, v)) === expression.equal;

/**
 * `-e constraint:KEY==VALUE` (or `!=`, soft `==~` / `!=~`) and the label `com.docker.swarm.constraints`: only nodes
 * whose name, engine labels or standard tags (storagedriver, kernelversion, operatingsystem, ostype) match.
 */
export function constraintFilter(): SkepPlugin {
  return expressionFilter('constraint', CONSTRAINTS_LABEL, holds, (e, node) => {
    const seen = e.key.toLowerCase() === 'node' ? `node=${node.name}` : `${e.key}=${node.labels[e.key] ?? 'not set'}`;
    return `constraint ${e.text} not met (${seen})`;
  });
}
