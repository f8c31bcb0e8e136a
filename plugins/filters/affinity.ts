import {
  SWARM_LABELS,
  type NodeContainer,
  type NodeView,
  type SkepPlugin,
} from '../../core/plugin-api.js';
import { expressionFilter, expressionText, valueMatches, type Expression } from './expressions.js';

const PLUGIN_NAME = 'affinity';

const containerIs = (pattern: string, c: NodeContainer) =>
  (c.id !== '' && /^[0-9a-f]{4,64}$/i.test(pattern) && c.id.startsWith(pattern.toLowerCase())) ||
  (c.name !== '' && valueMatches(pattern, c.name));

function imageOnNode(pattern: string, node: NodeView): boolean {
  if (node.hasImage(pattern)) return true;
  return node.imageList.some((i) =>
    i.tags.some(
      (tag) => valueMatches(pattern, tag) || valueMatches(pattern, tag.replace(/:[^:/]+$/, '')),
    ),
  );
}

/**
 * Whether the node has what the expression names:
 * a container, an image, or a container with that label value.
 */
function present(expression: Expression, node: NodeView): boolean {
  switch (expression.key.toLowerCase()) {
    case 'container':
      return node.containerList.some((c) => containerIs(expression.value, c));
    case 'image':
      return imageOnNode(expression.value, node);
    default:
      return node.containerList.some(
        (c) =>
          c.labels[expression.key] !== undefined &&
          valueMatches(expression.value, c.labels[expression.key]!),
      );
  }
}

const holds = (expression: Expression, node: NodeView) =>
  present(expression, node) === expression.equal;

/**
 * `-e affinity:container==NAME_OR_ID`, `affinity:image==NAME_OR_ID`, `affinity:LABEL==VALUE`
 * (a container label), with `!=` and the soft `~` forms, and the label
 * `com.docker.swarm.affinities`: next to (or away from) what is there.
 */
export function affinityFilter(): SkepPlugin {
  return expressionFilter({
    kind: PLUGIN_NAME,
    label: SWARM_LABELS.affinities,
    holds,
    why: (e, node) => {
      const what =
        e.key.toLowerCase() === 'container'
          ? 'container'
          : e.key.toLowerCase() === 'image'
            ? 'image'
            : `container labelled ${e.key}`;
      return `affinity ${e.text} not met (${e.equal ? `no ${what} ${e.value} on ${node.name}` : `${node.name} has ${what} ${e.value}`})`;
    },
    condition: (e) => `${expressionText(e)} (soft=${e.soft})`,
  });
}
