import { AsyncParallelHook, AsyncSeriesBailHook, AsyncSeriesWaterfallHook, HookMap, SyncWaterfallHook } from 'tapable';
import { nameTapErrors } from './plugin-errors.js';
import type {
  ContainerConfig,
  CreateRequest,
  CreatedContainer,
  EngineCreateContext,
  EngineUpdateContext,
  NodeView,
  Reply,
  RequestContext,
  ResponseContext,
  RouteId,
  RowContext,
  ScheduleContext,
} from './pipeline-types.js';

/**
 * Every hook of the pipeline, declared in this one place. Plugins tap; only core calls.
 * Every request: request → (the route). A create: request → beforeSchedule → filter → rank →
 * beforeEngineCreate (on the chosen node) → the engine's create → afterCreate → rewriteResponse.
 * `docs/plugins.md` is the contract of each.
 */
export function createHooks() {
  const hooks = Object.freeze({
    /** Every request, before its route runs: return a Reply to answer early (no engine is called), or nothing to go on. */
    request: new AsyncSeriesBailHook<[RequestContext], Reply | undefined | void>(['context']),
    /** May change the create request (normalise, add labels, reject by throwing DockerError). */
    beforeSchedule: new AsyncSeriesWaterfallHook<[CreateRequest, RequestContext]>(['request', 'context']),
    /** Narrows the candidate nodes; push a Rejection for every node left out. */
    filter: new AsyncSeriesWaterfallHook<[NodeView[], ScheduleContext]>(['nodes', 'context']),
    /** Orders the candidates, best first. */
    rank: new AsyncSeriesWaterfallHook<[NodeView[], ScheduleContext]>(['nodes', 'context']),
    /** The node is chosen: may change the body sent to that node's engine (per-node values), or refuse by throwing. */
    beforeEngineCreate: new AsyncSeriesWaterfallHook<[ContainerConfig, EngineCreateContext]>(['config', 'context']),
    /** `docker update`: may change the body on its way to the container's node (per-node values, as on create). */
    beforeEngineUpdate: new AsyncSeriesWaterfallHook<[Record<string, unknown>, EngineUpdateContext]>(['update', 'context']),
    /** Sees each created container and its node; errors are logged, never fail the create. */
    afterCreate: new AsyncParallelHook<[CreatedContainer, RequestContext]>(['created', 'context']),
    /**
     * Each row of the container list (`docker ps`), as the manager makes it from its cache. The result is
     * cached per container until the container, its status text or its node changes: read only the row
     * and `context.node`. Request-dependent changes belong in `rewriteResponse('container.list')`.
     */
    rewriteContainerRow: new SyncWaterfallHook<[Record<string, unknown>, RowContext]>(['row', 'context']),
    /** Per route: may change a JSON response body on its way to the client. */
    rewriteResponse: new HookMap<AsyncSeriesWaterfallHook<[unknown, ResponseContext]>>(
      (_route: RouteId) => new AsyncSeriesWaterfallHook<[unknown, ResponseContext]>(['body', 'context']),
    ),
  });
  for (const name of ['request', 'beforeSchedule', 'filter', 'rank', 'beforeEngineCreate', 'beforeEngineUpdate', 'afterCreate', 'rewriteContainerRow'] as const) nameTapErrors(hooks[name], name);
  hooks.rewriteResponse.intercept({
    factory: (route, hook) => {
      nameTapErrors(hook, `rewriteResponse(${route})`);
      return hook;
    },
  });
  return hooks;
}

export type SkepHooks = ReturnType<typeof createHooks>;
