import type { NodeView, ScheduleContext } from '../pipeline-types.js';

/**
 * Where placement found no node: in a filter (named by its plugin), or in the ranking
 * (no node has the resources).
 */
export type Failure = { stage: 'filter'; by?: string } | { stage: 'rank' };

/**
 * Classic swarm's message first, exactly, so scripts that match it still do
 * (scheduler/filter/filter.go ApplyFilters and listAllFilters,
 * scheduler/strategy/weighted_node.go); then, one line per node, why it was left out
 * (`[node2: constraint storage==ssd not met (storage=disk)]`).
 */
export function noNodeMessage(
  nodes: readonly NodeView[],
  context: ScheduleContext,
  failure: Failure,
): string {
  if (nodes.length === 0) return 'No nodes available in the cluster';
  const perNode = [...new Set(context.rejections.map((r) => `[${r.node}: ${r.reason}]`))];
  if (failure.stage === 'rank')
    return ['no resources available to schedule container', ...perNode].join('\n');
  const last =
    failure.by === undefined ? -1 : context.conditions.map((c) => c.by).lastIndexOf(failure.by);
  const own = context.conditions[last]?.whenNoneLeft;
  if (own) return own;
  const shown: string[] = [];
  for (const [i, condition] of context.conditions.entries()) {
    if (last >= 0 && i > last) break;
    // Go's %v of a []string: the items space-separated, in brackets
    if (condition.list.length > 0) shown.push(`[${condition.list.join(' ')}]`);
  }
  return [
    `Unable to find a node that satisfies the following conditions ${shown.map((l) => `\n${l}`).join('')}`,
    ...perNode,
  ].join('\n');
}
