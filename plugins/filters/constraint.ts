import { STAGE, type NodeView, type SkepPlugin } from '../../core/plugin-api.js';
import { applyExpressions, labelList, moveEnvToLabel, parseExpression, valueMatches, type Expression } from './expressions.js';

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
  return {
    name: 'constraint',
    apply(hooks) {
      hooks.beforeSchedule.tap({ name: 'constraint', stage: STAGE.NORMALIZE }, (request) => {
        moveEnvToLabel(request.config, 'constraint', CONSTRAINTS_LABEL, 'constraint');
        return request;
      });
      hooks.filter.tap('constraint', (nodes, context) => {
        const expressions = labelList(context.request.config, CONSTRAINTS_LABEL).map((e) => parseExpression(e, 'constraint'));
        return applyExpressions(
          nodes,
          expressions,
          holds,
          (e, node) => {
            const seen = e.key.toLowerCase() === 'node' ? `node=${node.name}` : `${e.key}=${node.labels[e.key] ?? 'not set'}`;
            return `constraint ${e.text} not met (${seen})`;
          },
          (node, reason) => context.rejections.push({ node: node.name, by: 'constraint', reason }),
        );
      });
    },
  };
}
