import type { SkepHooks } from '../hooks.js';
import type { CreateRequest, NodeView, RequestContext, ScheduleContext } from '../pipeline-types.js';
import { type Failure, noNodeMessage } from './no-node-message.js';

/** What placement would do with a create: the nodes best first, and why each other node was left out. */
export interface Placement {
  nodes: NodeView[];
  ranked: NodeView[];
  context: ScheduleContext;
  /** When no node fits: classic swarm's message, then Skep's reasons node by node. */
  message?: string;
}

/**
 * The filters and the ranking over these nodes: first with soft expressions, then, if that places nothing, once
 * more without them (classic's SelectNodesForContainer). Changes nothing.
 */
export async function planOver(hooks: SkepHooks, nodes: NodeView[], request: CreateRequest, requestContext: RequestContext): Promise<Placement> {
  let placement: Placement | undefined;
  for (const soft of [true, false]) {
    const reserve = { cpus: 0, memory: Number(request.config.HostConfig?.Memory ?? 0) || 0 };
    const context: ScheduleContext = { request, requestContext, rejections: [], conditions: [], soft, reserve };
    const candidates = await hooks.filter.promise(nodes, context);
    const ranked = candidates.length > 0 ? await hooks.rank.promise(candidates, context) : [];
    // filters push a rejection for each node they leave out: the last one named is the filter that left none
    const failure: Failure = candidates.length > 0 ? { stage: 'rank' } : { stage: 'filter', by: context.rejections.at(-1)?.by };
    placement = { nodes, ranked, context, message: ranked.length === 0 ? noNodeMessage(nodes, context, failure) : undefined };
    if (ranked.length > 0) break;
  }
  return placement!;
}
