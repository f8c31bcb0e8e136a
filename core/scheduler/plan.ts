import { type SkepHooks, tapped } from '../hooks.js';
import type {
  CreateRequest,
  NodeTests,
  NodeView,
  PlacementRequestContext,
  Reservation,
  ScheduleContext,
} from '../pipeline-types.js';
import { type Failure, noNodeMessage } from './no-node-message.js';

/**
 * What placement would do with a request: the best node, and why each other node it read was left
 * out.
 */
export interface Plan {
  nodes: readonly NodeView[];
  /** Where the thing goes; none when no node fits. */
  best?: NodeView;
  context: ScheduleContext;
  /** When no node fits: classic swarm's message, then Skep's reasons node by node. */
  message?: string;
  /**
   * Every node that fits, best first, as the filters and the ranking order the whole list (read
   * for a retry on the next node, a volume on every node, the dry run): worked out when asked.
   */
  ranked(): Promise<NodeView[]>;
}

export interface PlanOptions {
  /** Read every node through the list forms (the dry run, which explains every node). */
  whole?: boolean;
}

/**
 * reserve, then the filters and the ranking over these nodes: first with soft expressions, then,
 * if that places nothing, once more without them (classic's SelectNodesForContainer).
 * Node by node when every filter and strategy gives that form: the best ranked nodes first, until
 * one passes every filter (the node a full scan would choose); a placement nothing fits, and the
 * full ranking, read every node with the list forms. Changes nothing.
 */
export async function planOver(
  hooks: SkepHooks,
  nodes: readonly NodeView[],
  request: CreateRequest,
  requestContext: PlacementRequestContext,
  options: PlanOptions = {},
): Promise<Plan> {
  const asked = { cpus: 0, memory: Number(request.config.HostConfig?.Memory ?? 0) || 0 };
  const reserve = Object.freeze(
    tapped(hooks.reserve) ? await hooks.reserve.promise(asked, { request, requestContext }) : asked,
  );
  const whole = () => wholePlan(hooks, nodes, request, requestContext, reserve);
  if (!options.whole && nodeByNode(hooks)) {
    const context = scheduleContext(request, requestContext, reserve, true);
    const best = await firstThatPasses(hooks, nodes, context);
    if (best) {
      let ranked: Promise<NodeView[]> | undefined;
      return { nodes, best, context, ranked: () => (ranked ??= whole().then((p) => p.ranked())) };
    }
  }
  return whole();
}

/**
 * Whether placement can read node by node: every plugin that taps a list form (`filter`, `rank`)
 * also gives the node-by-node form (`filterNode`, `order`), and some strategy gives an order.
 */
function nodeByNode(hooks: SkepHooks): boolean {
  const names = (taps: readonly { name: string }[]) => new Set(taps.map((t) => t.name));
  const [perNode, ordered] = [names(hooks.filterNode.taps), names(hooks.order.taps)];
  return (
    ordered.size > 0 &&
    hooks.filter.taps.every((t) => perNode.has(t.name)) &&
    hooks.rank.taps.every((t) => ordered.has(t.name))
  );
}

function scheduleContext(
  request: CreateRequest,
  requestContext: PlacementRequestContext,
  reserve: Reservation,
  soft: boolean,
): ScheduleContext {
  const placing = requestContext.placing;
  return { request, requestContext, placing, rejections: [], conditions: [], soft, reserve };
}

/**
 * The first node in the strategy's order that passes every filter's test: the filters in their
 * order, the first that fails a node names it (as the list form would).
 */
async function firstThatPasses(
  hooks: SkepHooks,
  nodes: readonly NodeView[],
  context: ScheduleContext,
): Promise<NodeView | undefined> {
  const filters: NodeTests = { tests: [] };
  await hooks.filterNode.promise(filters, context);
  const order = await hooks.order.promise(undefined, context);
  if (!order) return undefined;
  const passes = (node: NodeView) => {
    for (const test of filters.tests) {
      const verdict = test.keep(node);
      if (verdict === true) continue;
      context.rejections.push({ node: node.name, by: test.by, reason: verdict });
      return false;
    }
    return true;
  };
  for (const node of order.ranked(nodes, passes)) return node;
  return undefined;
}

/** The list forms over every node, soft expressions first, as classic swarm placed. */
async function wholePlan(
  hooks: SkepHooks,
  nodes: readonly NodeView[],
  request: CreateRequest,
  requestContext: PlacementRequestContext,
  reserve: Reservation,
): Promise<Plan> {
  let plan: Plan | undefined;
  for (const soft of [true, false]) {
    const context = scheduleContext(request, requestContext, reserve, soft);
    // a copy: a list-form tap may sort or change what it gets; `nodes` is kept between placements
    const candidates = await hooks.filter.promise(nodes.slice(), context);
    const ranked = candidates.length > 0 ? await hooks.rank.promise(candidates, context) : [];
    // filters push a rejection for each node they leave out:
    // the last one named is the filter that left none
    const failure: Failure =
      candidates.length > 0
        ? { stage: 'rank' }
        : { stage: 'filter', by: context.rejections.at(-1)?.by };
    plan = {
      nodes,
      best: ranked[0],
      context,
      message: ranked.length === 0 ? noNodeMessage(nodes, context, failure) : undefined,
      ranked: () => Promise.resolve(ranked),
    };
    if (ranked.length > 0) break;
  }
  return plan!;
}
