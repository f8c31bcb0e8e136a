import { type SkepHooks, tapped } from '../hooks.js';
import type {
  CreateRequest,
  NodeView,
  PlacementRequestContext,
  ScheduleContext,
} from '../pipeline-types.js';
import { type Failure, noNodeMessage } from './no-node-message.js';

/**
 * What placement would do with a request:
 * the nodes best first, and why each other node was left out.
 */
export interface Plan {
  nodes: NodeView[];
  ranked: NodeView[];
  context: ScheduleContext;
  /** When no node fits: classic swarm's message, then Skep's reasons node by node. */
  message?: string;
}

/**
 * reserve, then the filters and the ranking over these nodes: first with soft expressions, then,
 * if that places nothing, once more without them (classic's SelectNodesForContainer).
 * Changes nothing.
 */
export async function planOver(
  hooks: SkepHooks,
  nodes: NodeView[],
  request: CreateRequest,
  requestContext: PlacementRequestContext,
): Promise<Plan> {
  const asked = { cpus: 0, memory: Number(request.config.HostConfig?.Memory ?? 0) || 0 };
  const reserve = Object.freeze(
    tapped(hooks.reserve) ? await hooks.reserve.promise(asked, { request, requestContext }) : asked,
  );
  let plan: Plan | undefined;
  for (const soft of [true, false]) {
    const context: ScheduleContext = {
      request,
      requestContext,
      placing: requestContext.placing,
      rejections: [],
      conditions: [],
      soft,
      reserve,
    };
    const candidates = await hooks.filter.promise(nodes, context);
    const ranked = candidates.length > 0 ? await hooks.rank.promise(candidates, context) : [];
    // filters push a rejection for each node they leave out:
    // the last one named is the filter that left none
    const failure: Failure =
      candidates.length > 0
        ? { stage: 'rank' }
        : { stage: 'filter', by: context.rejections.at(-1)?.by };
    plan = {
      nodes,
      ranked,
      context,
      message: ranked.length === 0 ? noNodeMessage(nodes, context, failure) : undefined,
    };
    if (ranked.length > 0) break;
  }
  return plan!;
}
