import {
  AsyncParallelHook,
  AsyncSeriesHook,
  AsyncSeriesBailHook,
  AsyncSeriesWaterfallHook,
  type Hook,
  HookMap,
  SyncWaterfallHook,
} from 'tapable';
import { silentLogger, type Logger } from './log.js';
import { nameTapErrors } from './plugin-errors.js';
import type {
  ContainerConfig,
  CreateRequest,
  CreatedContainer,
  EngineCreateContext,
  EngineUpdateContext,
  FinalAnswer,
  NodeOrder,
  NodeTests,
  NodeTotals,
  NodeView,
  PlacementRequestContext,
  Reply,
  RequestContext,
  Reservation,
  ReserveContext,
  ResponseContext,
  RewriteTapOptions,
  RowContext,
  ScheduleContext,
} from './pipeline-types.js';

/**
 * Every hook of the pipeline, declared in this one place. Plugins tap; only core calls.
 * Every request: request → routeRequest → (the route) → response.
 * Whatever is placed: beforeSchedule → reserve → filter → rank; a container then:
 * beforeEngineCreate (on the chosen node) → the engine's create → afterCreate →
 * rewriteResponse.
 * `docs/plugins.md` is the contract of each.
 */
export function createHooks(logger: Logger = silentLogger) {
  const hooks = Object.freeze({
    /**
     * Every request, before its route runs: return a Reply to answer early (no engine is called),
     * or nothing to go on.
     */
    request: new AsyncSeriesBailHook<[RequestContext], Reply | undefined | void>(['context']),
    /**
     * Per route, after the global `request` taps: the same, for one route
     * (`routeRequest.for('image.create')`).
     */
    routeRequest: new HookMap<AsyncSeriesBailHook<[RequestContext], Reply | undefined | void>>(
      () => new AsyncSeriesBailHook<[RequestContext], Reply | undefined | void>(['context']),
    ),
    /** May change the create request (normalise, add labels, reject by throwing DockerError). */
    beforeSchedule: new AsyncSeriesWaterfallHook<[CreateRequest, PlacementRequestContext]>([
      'request',
      'context',
    ]),
    /**
     * What the thing placed reserves on its node (CPU cores, memory):
     * starts as `{ cpus: 0, memory: HostConfig.Memory }`.
     */
    reserve: new AsyncSeriesWaterfallHook<[Reservation, ReserveContext]>([
      'reservation',
      'context',
    ]),
    /**
     * What a node's containers reserve, from its engine's totals: starts as
     * `{ cpus: 0, memory: totals.memory }` (CpuShares are a weight to the engine; the cpu-cores
     * built-in reads them as cores). Called while a NodeView is read: keep it quick and pure.
     */
    nodeReserved: new SyncWaterfallHook<[Reservation, NodeTotals]>(['reserved', 'totals']),
    /** Narrows the candidate nodes; push a Rejection for every node left out. */
    filter: new AsyncSeriesWaterfallHook<[NodeView[], ScheduleContext]>(['nodes', 'context']),
    /**
     * The filter stage node by node (`defineFilter` taps it and `filter`): once per placement pass
     * a tap pushes its conditions and its test of one node (or none: it asks nothing of this
     * placement). Placement reads the nodes best ranked first and stops at the first that passes
     * every test, when every plugin that taps `filter` and `rank` also taps this and `order`.
     */
    filterNode: new AsyncSeriesHook<[NodeTests, ScheduleContext]>(['tests', 'context']),
    /** Orders the candidates, best first. */
    rank: new AsyncSeriesWaterfallHook<[NodeView[], ScheduleContext]>(['nodes', 'context']),
    /**
     * The rank stage as an index (`defineStrategy` taps it and `rank`): the strategy's order kept
     * between placements, read node by node; a later tap may wrap the order before it.
     */
    order: new AsyncSeriesWaterfallHook<[NodeOrder | undefined, ScheduleContext]>([
      'order',
      'context',
    ]),
    /**
     * The node is chosen: may change the body sent to that node's engine (per-node values),
     * or refuse by throwing.
     */
    beforeEngineCreate: new AsyncSeriesWaterfallHook<[ContainerConfig, EngineCreateContext]>([
      'config',
      'context',
    ]),
    /**
     * `docker update`: may change the body on its way to the container's node
     * (per-node values, as on create).
     */
    beforeEngineUpdate: new AsyncSeriesWaterfallHook<
      [Record<string, unknown>, EngineUpdateContext]
    >(['update', 'context']),
    /** Sees each created container and its node; errors are logged, never fail the create. */
    afterCreate: new AsyncParallelHook<[CreatedContainer, RequestContext]>(['created', 'context']),
    /**
     * Each row of the container list (`docker ps`), as the manager makes it from its cache. The
     * result is cached per container until the container, its status text or its node changes:
     * read only the row and `context.node`. Request-dependent changes belong in
     * `rewriteResponse('container.list')`.
     */
    rewriteContainerRow: new SyncWaterfallHook<[Record<string, unknown>, RowContext]>([
      'row',
      'context',
    ]),
    /**
     * Every answer that is not a stream or a hijack, once its route made it (an error answer too),
     * before it is sent: return a Reply to answer instead, or throw a DockerError. The response
     * phase of Docker's authorization plugins; costs nothing while no plugin taps it.
     */
    response: new AsyncSeriesBailHook<[FinalAnswer, RequestContext], Reply | undefined | void>([
      'answer',
      'context',
    ]),
    /**
     * Per route: may change a JSON response body on its way to the client. A tap may also give a
     * byte form (option `bytes`); a proxied answer whose taps all have one is never parsed.
     */
    rewriteResponse: new HookMap<
      AsyncSeriesWaterfallHook<[unknown, ResponseContext], unknown, RewriteTapOptions>
    >(
      () =>
        new AsyncSeriesWaterfallHook<[unknown, ResponseContext], unknown, RewriteTapOptions>([
          'body',
          'context',
        ]),
    ),
  });
  // every hook, derived from the object above:
  // a failing tap names its plugin and hook, and is logged
  for (const [name, hook] of Object.entries(hooks)) {
    if (hook instanceof HookMap)
      (hook as unknown as HookMap<Hook<unknown[], unknown>>).intercept({
        factory: (route, made) => (nameTapErrors(made, `${name}(${String(route)})`, logger), made),
      });
    else nameTapErrors(hook, name, logger);
  }
  return hooks;
}

export type SkepHooks = ReturnType<typeof createHooks>;

/**
 * Whether any plugin taps the hook. tapable's `isUsed()` counts interceptors too, and every hook
 * carries the error-naming one, so it is always true: the hot paths skip a stage by this instead.
 */
export const tapped = <H extends { taps: readonly unknown[] }>(hook: H | undefined): hook is H =>
  (hook?.taps.length ?? 0) > 0;
