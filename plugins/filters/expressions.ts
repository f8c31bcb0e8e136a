import { DockerError, STAGE, type ContainerConfig, type NodeView, type SkepPlugin } from '../../core/plugin-api.js';

/** One `KEY==VALUE` of classic swarm's constraint and affinity language. */
export interface Expression {
  key: string;
  /** `==` must match, `!=` must not. */
  equal: boolean;
  /** `==~` / `!=~`: dropped when no node satisfies it, instead of failing the create. */
  soft: boolean;
  value: string;
  text: string;
}

const EXPRESSION = /^([a-z_][a-z0-9\-_./]*)\s*(==|!=)(~?)\s*(.+)$/i;

export function parseExpression(text: string, kind: string): Expression {
  const m = EXPRESSION.exec(text.trim());
  if (!m) throw new DockerError(400, `invalid ${kind} expression "${text}": use KEY==VALUE, KEY!=VALUE, or ==~ / !=~ for a soft one`);
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

/** A value against a pattern: `/regex/`, or a glob (`*`, `?`), without regard to case (classic swarm's rule). */
export function valueMatches(pattern: string, value: string): boolean {
  if (pattern.length > 1 && pattern.startsWith('/') && pattern.endsWith('/')) return new RegExp(pattern.slice(1, -1), 'i').test(value);
  const glob = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${glob}$`, 'i').test(value);
}

/** A JSON list of expressions kept in a container label (`com.docker.swarm.constraints`). */
export function labelList(config: ContainerConfig, label: string): string[] {
  const raw = config.Labels?.[label];
  if (raw === undefined || raw === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new DockerError(400, `invalid label ${label}: ${raw} is not a JSON list of strings`);
  }
  if (!Array.isArray(parsed) || !parsed.every((e) => typeof e === 'string')) throw new DockerError(400, `invalid label ${label}: ${raw} is not a JSON list of strings`);
  return parsed;
}

/**
 * Moves `-e PREFIX:EXPR` entries out of the environment into the label, as classic swarm did: the engine never
 * sees them, and the container keeps them (its label) for later placement decisions.
 */
export function moveEnvToLabel(config: ContainerConfig, prefix: string, label: string, kind: string): void {
  const env = config.Env ?? [];
  const moved = env.filter((e) => e.startsWith(`${prefix}:`)).map((e) => e.slice(prefix.length + 1));
  if (moved.length === 0) return;
  for (const text of moved) parseExpression(text, kind);
  config.Env = env.filter((e) => !e.startsWith(`${prefix}:`));
  config.Labels = { ...config.Labels, [label]: JSON.stringify([...labelList(config, label), ...moved]) };
}

/** Applies expressions one by one; a soft one that would leave no node is dropped. Rejected nodes say why. */
export function applyExpressions<N extends { name: string }>(
  nodes: N[],
  expressions: Expression[],
  holds: (expression: Expression, node: N) => boolean,
  why: (expression: Expression, node: N) => string,
  reject: (node: N, reason: string) => void,
): N[] {
  let candidates = nodes;
  for (const expression of expressions) {
    const kept = candidates.filter((node) => holds(expression, node));
    if (expression.soft && kept.length === 0) continue;
    for (const node of candidates) if (!kept.includes(node)) reject(node, why(expression, node));
    candidates = kept;
  }
  return candidates;
}

/**
 * A filter over classic swarm's expressions (`constraint`, `affinity`): `-e KIND:EXPR` entries move into `label`
 * before scheduling, and each node must satisfy every expression read back from that label.
 */
export function expressionFilter(
  kind: string,
  label: string,
  holds: (expression: Expression, node: NodeView) => boolean,
  why: (expression: Expression, node: NodeView) => string,
): SkepPlugin {
  return {
    name: kind,
    apply(hooks) {
      hooks.beforeSchedule.tap({ name: kind, stage: STAGE.NORMALIZE }, (request) => {
        moveEnvToLabel(request.config, kind, label, kind);
        return request;
      });
      hooks.filter.tap(kind, (nodes, context) => {
        const expressions = labelList(context.request.config, label).map((e) => parseExpression(e, kind));
        return applyExpressions(nodes, expressions, holds, why, (node, reason) => context.rejections.push({ node: node.name, by: kind, reason }));
      });
    },
  };
}
