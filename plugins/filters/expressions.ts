import {
  definePlacementFilter,
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
  let compiled = patterns.get(pattern);
  if (!compiled) {
    compiled = compile(pattern);
    // a create's expressions are few; a bound keeps a stream of distinct ones from growing it
    if (patterns.size >= 1000) patterns.clear();
    patterns.set(pattern, compiled);
  }
  return compiled.test(value);
}

/** Each pattern compiled once: a placement may test it against thousands of nodes. */
const patterns = new Map<string, RegExp>();

function compile(pattern: string): RegExp {
  if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/'))
    return new RegExp(pattern.slice(1, -1), 'i');
  const glob = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${glob}$`, 'i');
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

export interface ExpressionFilterSpec {
  /** The filter's name and the `-e KIND:...` prefix. */
  kind: string;
  label: string;
  holds: (expression: Expression, node: NodeView) => boolean;
  why: (expression: Expression, node: NodeView) => string;
  /** One expression as classic's `GetFilters` listed it. */
  condition: (expression: Expression) => string;
  /**
   * What the answer depends on, when nodes share it (their labels, interned by core): one answer
   * per class of equal nodes in a placement. Nothing: asked of each node.
   */
  sharedBy?: (expression: Expression, node: NodeView) => object | undefined;
}

/** `holds`, asked once per class of nodes that share the answer (`sharedBy`) in one placement. */
function sharedAnswers(spec: ExpressionFilterSpec) {
  const { holds, sharedBy } = spec;
  if (!sharedBy) return holds;
  const answers = new Map<Expression, Map<object, boolean>>();
  return (expression: Expression, node: NodeView) => {
    const key = sharedBy(expression, node);
    if (key === undefined) return holds(expression, node);
    let known = answers.get(expression);
    if (!known) answers.set(expression, (known = new Map()));
    let answer = known.get(key);
    if (answer === undefined) known.set(key, (answer = holds(expression, node)));
    return answer;
  };
}

/**
 * A filter over classic swarm's expressions (`constraint`, `affinity`, `whitelist`):
 * `-e KIND:EXPR` entries move into `label` before scheduling, and each node must satisfy every
 * expression read back from that label (soft ones only in placement's first pass). A node left out
 * says which expression, the first in the label's order it fails.
 */
export function expressionFilter(spec: ExpressionFilterSpec): SkepPlugin {
  const { kind, label, why, condition } = spec;
  const filter = definePlacementFilter(kind, (context) => {
    const expressions = labelList(context.request.config, label, context.requestContext.logger).map(
      (e) => parseExpression(e, kind),
    );
    context.conditions.push({ by: kind, list: expressions.map(condition) });
    const asked = expressions.filter((e) => !e.soft || context.soft);
    if (asked.length === 0) return undefined;
    const holds = sharedAnswers(spec);
    return (node) => {
      for (const expression of asked) if (!holds(expression, node)) return why(expression, node);
      return true;
    };
  });
  return {
    name: kind,
    apply(hooks, tools) {
      hooks.beforeSchedule.tap({ name: kind, stage: STAGE.NORMALIZE }, (request, context) => {
        moveEnvToLabel(request.config, kind, label, kind, context.logger);
        return request;
      });
      filter.apply(hooks, tools);
    },
  };
}
