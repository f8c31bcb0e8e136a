import type { Cluster } from '../cluster/cluster.js';
import type { Engine } from '../cluster/engine.js';
import { ViewList } from '../cluster/node-view.js';
import { DockerError } from '../errors.js';
import type { SkepHooks } from '../hooks.js';
import type { Logger } from '../log.js';
import type {
  CreateRequest,
  NodeView,
  Placing,
  PlacementRequestContext,
  RequestContext,
  ScheduleContext,
} from '../pipeline-types.js';
import { planOver, type Plan, type PlanOptions } from './plan.js';
import type { Telemetry } from '../telemetry.js';

export type { Plan } from './plan.js';

export interface PlacementOptions {
  /**
   * Under replication: whether this manager is primary right now.
   * Only a primary places (never two at once).
   */
  isPrimary?: () => boolean;
  /** Told of every placement decided (the operator listener's metrics and its list of failures). */
  telemetry?: Telemetry;
}

/**
 * A placement that won: the node (or nodes) chosen, each holding what the thing reserves until
 * `release`.
 */
export interface Held {
  readonly plan: Plan;
  /** The chosen engines, best first; a container goes to the first, a volume to each. */
  readonly engines: Engine[];
  /** Moves the hold to the next ranked node (a create that failed on the first). */
  moveTo(node: NodeView): Engine;
  release(): void;
}

export interface PlaceOptions<T> {
  /**
   * Which of the ranked nodes the thing goes to: the first by default; a volume goes to every one.
   */
  pick?: (ranked: Engine[]) => Engine[];
  /**
   * The engine call on the chosen nodes; it settles once its result is in the cache
   * (the hold lasts that long).
   */
  call: (engines: Engine[], context: ScheduleContext) => Promise<T>;
  /**
   * For a call that answers before its work is done (a build streams its output): the hold lasts
   * until this settles instead, and the route returns at once.
   */
  settled?: (result: T) => Promise<unknown>;
}

/**
 * The one owner of placement, for everything Skep places (containers, builds, networks, volumes,
 * rescheduled containers, the dry run): beforeSchedule → reserve → filter → rank → hold the
 * reservation → the engine call → release once the result is in the cache. Choosing and holding
 * run one at a time, so each placement sees what the ones before it hold
 * (concurrent `docker run -m` never overfill a node). Containers are created through it by the
 * ContainerCreator (container-creator.ts); routes place builds, networks and volumes with `place`.
 */
export class PlacementService {
  private queue: Promise<unknown> = Promise.resolve();
  /** The placeable nodes' views, the same list while none changed. */
  private readonly views = new ViewList();

  constructor(
    readonly cluster: Cluster,
    readonly hooks: SkepHooks,
    readonly logger: Logger,
    private readonly options: PlacementOptions = {},
  ) {}

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** The request after `beforeSchedule`, and the context that says what is placed. */
  async prepare(
    placing: Placing,
    request: CreateRequest,
    requestContext: RequestContext,
    dryRun = false,
  ): Promise<{ request: CreateRequest; context: PlacementRequestContext }> {
    const context: PlacementRequestContext = { ...requestContext, placing, dryRun };
    return { request: await this.hooks.beforeSchedule.promise(request, context), context };
  }

  /**
   * reserve → filter → rank over every node whose containers have been read: first with soft
   * expressions, then, if that places nothing, once more without them (classic's two passes).
   * Changes nothing.
   */
  async plan(
    request: CreateRequest,
    context: PlacementRequestContext,
    options: PlanOptions = {},
  ): Promise<Plan> {
    // what a node's containers reserve is known once they are inspected: a node still in its
    // first read is left out (only just after start is it waited for, briefly)
    const unread = await this.cluster.unread();
    const all = this.cluster.all();
    const placeable = unread.size === 0 ? all : all.filter((e) => !unread.has(e));
    const plan = await planOver(
      this.hooks,
      this.views.of(placeable, this.cluster.changedViews),
      request,
      context,
      options,
    );
    const { best, nodes } = plan;
    this.logger.debug(
      `placing ${context.placing} ${request.name ?? ''}: ${best ? `${best.name} (${best.containers} containers)` : 'no node'} of ${nodes.length} nodes`,
    );
    return plan;
  }

  /**
   * The dry run (`POST /skep/placement`):
   * where a container would go and why, nothing held or created.
   */
  async dryRun(
    original: CreateRequest,
    requestContext: RequestContext,
  ): Promise<{ request: CreateRequest; plan: Plan }> {
    const { request, context } = await this.prepare('container', original, requestContext, true);
    return { request, plan: await this.plan(request, context, { whole: true }) };
  }

  /**
   * Plans and holds, one placement at a time: the chosen nodes hold what the thing reserves until
   * `release`. No node: classic's message as a 500, as classic answered it.
   */
  choose(
    request: CreateRequest,
    context: PlacementRequestContext,
    pick?: (ranked: Engine[]) => Engine[],
  ): Promise<Held> {
    return this.exclusive(async () => {
      const plan = await this.plan(request, context);
      // checked after the plan, the last wait:
      // a primary frozen meanwhile has lost its lease and must not go on
      const telemetry = this.options.telemetry;
      if (this.options.isPrimary && !this.options.isPrimary()) {
        telemetry?.placement(context.placing, 'not_primary', []);
        throw new DockerError(
          503,
          'No elected primary cluster manager: this manager is no longer primary; nothing was placed',
        );
      }
      const engineOf = (n: NodeView) => this.cluster.engines.get(n.addr);
      // by default the best ranked only:
      // a create at 1,000 nodes looks up one engine, not every ranked one
      const best = plan.best && engineOf(plan.best);
      const engines = !best
        ? []
        : pick
          ? pick((await plan.ranked()).flatMap((n) => engineOf(n) ?? []))
          : [best];
      if (engines.length === 0) {
        telemetry?.placement(context.placing, 'no_node', plan.context.rejections, plan.message);
        throw new DockerError(
          500,
          plan.message ?? 'the chosen node left the cluster during scheduling',
        );
      }
      telemetry?.placement(context.placing, 'chosen', plan.context.rejections);
      const container =
        context.placing === 'container' || context.placing === 'reschedule'
          ? { name: request.name, config: request.config }
          : undefined;
      const reserve = { ...plan.context.reserve };
      let releases = engines.map((e) => e.hold({ reserve, container }));
      let chosen = engines;
      return {
        plan,
        get engines() {
          return chosen;
        },
        moveTo: (node: NodeView) => {
          const engine = this.cluster.engines.get(node.addr);
          if (!engine)
            throw new DockerError(500, 'the chosen node left the cluster during scheduling');
          for (const release of releases) release();
          releases = [engine.hold({ reserve, container })];
          chosen = [engine];
          return engine;
        },
        release: () => {
          for (const release of releases) release();
          releases = [];
        },
      };
    });
  }

  /**
   * The whole sequence for a build, a network or a volume:
   * beforeSchedule, choose and hold, the call, release.
   */
  async place<T>(
    placing: Exclude<Placing, 'container' | 'reschedule'>,
    original: CreateRequest,
    requestContext: RequestContext,
    options: PlaceOptions<T>,
  ): Promise<T> {
    const { request, context } = await this.prepare(placing, original, requestContext);
    const held = await this.choose(request, context, options.pick);
    let result: T;
    try {
      result = await options.call(held.engines, held.plan.context);
    } catch (err) {
      held.release();
      throw err;
    }
    if (options.settled)
      void options
        .settled(result)
        .catch(() => {})
        .finally(() => held.release());
    else held.release();
    return result;
  }
}
