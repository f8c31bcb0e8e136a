import {
  DockerError,
  labelStrings,
  STAGE,
  type ContainerConfig,
  type NodeView,
  type PluginLogger,
  type SkepPlugin,
} from '../../core/plugin-api.js';

/** One `KEY==VALUE` of classic swarm's constraint and affinity language. */
export interface Expression {
  key: string;
  /** `==` must match, `!=` must not. */
  equal: boolean;
  /**
   * `==~` / `!=~`: placement first tries with it,
   * then (if nothing fits) once more without any soft expression.
   */
  soft: boolean;
  value: string;
  text: string;
}

const EXPRESSION = /^([a-z_][a-z0-9\-_./]*)\s*(==|!=)(~?)\s*(.+)$/i;

export function parseExpression(text: string, kind: string): Expression {
  const m = EXPRESSION.exec(text.trim());
  if (!m)
    throw new DockerError(
      400,
      `invalid ${kind} expression "${text}": use KEY==VALUE, KEY!=VALUE, or ==~ / !=~ for a soft one`,
    );
  const [, key, operator, soft, value] = m as unknown as [string, string, string, string, string];
  if (value.length > 1 && value.startsWith('/') && value.endsWith('/')) {
    try {
      new RegExp(value.slice(1, -1));
    } catch (err) {
      throw new DockerError(400, `invalid ${kind} expression "${text}": ${(err as Error).message}`);
    }
  }
  return { key, equal: operator === '==', soft: soft === '~', value, text: text.trim() };
}

/**
 * A value against a pattern: `/regex/`, or a glob (`*`, `?`),
 * without regard to case (classic swarm's rule).
 */
export function valueMatches(pattern: string, value: string): boolean {
  if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/'))
    return new RegExp(pattern.slice(1, -1), 'i').test(value);
  const glob = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${glob}$`, 'i').test(value);
}

/** `key==value` as classic wrote an expression back (the `~` of a soft one not shown). */
export const expressionText = (e: Expression) => `${e.key}${e.equal ? '==' : '!='}${e.value}`;

/**
 * A JSON list of expressions kept in a container label (`com.docker.swarm.constraints`).
 * A label that is no such list is ignored, as classic ignored it, with a warning that names it.
 */
export function labelList(config: ContainerConfig, label: string, logger?: PluginLogger): string[] {
  const list = labelStrings(config.Labels, label);
  if (list === undefined)
    logger?.warn(
      `label ${label} is ignored: ${config.Labels?.[label]} is not a JSON list of strings`,
    );
  return list ?? [];
}

/**
 * Moves `-e PREFIX:EXPR` entries out of the environment into the label, as classic swarm did:
 * the engine never sees them, and the container keeps them (its label)
 * for later placement decisions.
 */
export function moveEnvToLabel(
  config: ContainerConfig,
  prefix: string,
  label: string,
  kind: string,
  logger?: PluginLogger,
): void {
  const env = config.Env ?? [];
  const moved = env
    .filter((e) => e.startsWith(`${prefix}:`))
    .map((e) => e.slice(prefix.length + 1));
  if (moved.length === 0) return;
  for (const text of moved) parseExpression(text, kind);
  config.Env = env.filter((e) => !e.startsWith(`${prefix}:`));
  config.Labels = {
    ...config.Labels,
    [label]: JSON.stringify([...labelList(config, label, logger), ...moved]),
  };
}

/**
 * Applies expressions one by one, soft ones only when `soft` (classic's first pass).
 * Rejected nodes say why.
 */
export function applyExpressions<N extends { name: string }>(
  nodes: N[],
  expressions: Expression[],
  soft: boolean,
  holds: (expression: Expression, node: N) => boolean,
  why: (expression: Expression, node: N) => string,
  reject: (node: N, reason: string) => void,
): N[] {
  let candidates = nodes;
  for (const expression of expressions) {
    if (expression.soft && !soft) continue;
    const kept = candidates.filter((node) => holds(expression, node));
    for (const node of candidates) if (!kept.includes(node)) reject(node, why(expression, node));
    candidates = kept;
  }
  return candidates;
}

export interface ExpressionFilterSpec {
  /** The filter's name and the `-e KIND:...` prefix. */
  kind: string;
  label: string;
  holds: (expression: Expression, node: NodeView) => boolean;
  why: (expression: Expression, node: NodeView) => string;
  /** One expression as classic's `GetFilters` listed it. */
  condition: (expression: Expression) => string;
}

/**
 * A filter over classic swarm's expressions (`constraint`, `affinity`, `whitelist`):
 * `-e KIND:EXPR` entries move into `label` before scheduling,
 * and each node must satisfy every expression read back from that label.
 */
export function expressionFilter({
  kind,
  label,
  holds,
  why,
  condition,
}: ExpressionFilterSpec): SkepPlugin {
  return {
    name: kind,
    apply(hooks) {
      hooks.beforeSchedule.tap({ name: kind, stage: STAGE.NORMALIZE }, (request, context) => {
        moveEnvToLabel(request.config, kind, label, kind, context.logger);
        return request;
      });
      hooks.filter.tap(kind, (nodes, context) => {
        const expressions = labelList(
          context.request.config,
          label,
          context.requestContext.logger,
        ).map((e) => parseExpression(e, kind));
        context.conditions.push({ by: kind, list: expressions.map(condition) });
        return applyExpressions(nodes, expressions, context.soft, holds, why, (node, reason) =>
          context.rejections.push({ node: node.name, by: kind, reason }),
        );
      });
    },
  };
}
