import { AsyncParallelHook, AsyncSeriesWaterfallHook, HookMap } from 'tapable';
import { nameTapErrors } from './plugin-errors.js';
import type {
  CreateRequest,
  CreatedContainer,
  NodeView,
  RequestContext,
  ResponseContext,
  RouteId,
  ScheduleContext,
} from './pipeline-types.js';

/**
 * Every hook of the pipeline, declared in this one place. Plugins tap; only core calls.
 * The create flow runs beforeSchedule → filter → rank → (create on the first node) → afterCreate → rewriteResponse.
 */
export function createHooks() {
  const hooks = Object.freeze({
    /** May change the create request (normalise, add labels, reject by throwing DockerError). */
    beforeSchedule: new AsyncSeriesWaterfallHook<[CreateRequest, RequestContext]>(['request', 'context']),
    /** Narrows the candidate nodes; push a Rejection for every node left out. */
    filter: new AsyncSeriesWaterfallHook<[NodeView[], ScheduleContext]>(['nodes', 'context']),
    /** Orders the candidates, best first. */
    rank: new AsyncSeriesWaterfallHook<[NodeView[], ScheduleContext]>(['nodes', 'context']),
    /** Sees each created container and its node; errors are logged, never fail the create. */
    afterCreate: new AsyncParallelHook<[CreatedContainer, RequestContext]>(['created', 'context']),
    /** Per route: may change a JSON response body on its way to the client. */
    rewriteResponse: new HookMap<AsyncSeriesWaterfallHook<[unknown, ResponseContext]>>(
      (_route: RouteId) => new AsyncSeriesWaterfallHook<[unknown, ResponseContext]>(['body', 'context']),
    ),
  });
  for (const name of ['beforeSchedule', 'filter', 'rank', 'afterCreate'] as const) nameTapErrors(hooks[name], name);
  hooks.rewriteResponse.intercept({
    factory: (route, hook) => {
      nameTapErrors(hook, `rewriteResponse(${route})`);
      return hook;
    },
  });
  return hooks;
}

export type SkepHooks = ReturnType<typeof createHooks>;
