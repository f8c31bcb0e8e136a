import { randomBytes } from 'node:crypto';
import { versionedPath } from '../cluster/api-version.js';
import type { Cluster } from '../cluster/cluster.js';
import type { EngineResponse } from '../cluster/engine-client.js';
import type { Engine, PendingCreate } from '../cluster/engine.js';
import { connectionMessage } from '../cluster/address.js';
import { pullOn } from '../cluster/image-pull.js';
import { pullParams } from '../cluster/image-ref.js';
import { nodeView } from '../cluster/node-view.js';
import { DockerError } from '../errors.js';
import type { SkepHooks } from '../hooks.js';
import type { Logger } from '../log.js';
import type { ContainerConfig, CreateRequest, NodeActions, NodeView, RequestContext, ScheduleContext } from '../pipeline-types.js';
import { labelStrings, SWARM_LABELS } from '../swarm-labels.js';
import { planOver, type Placement } from './plan.js';
import { normalizeReschedulePolicy } from './rescheduler.js';

export type { Placement } from './plan.js';

export interface CreateOutcome {
  engine: Engine;
  /** The engine's answer, passed on to the client as it is (201 with the ID, or the engine's error). */
  response: EngineResponse;
  id?: string;
}

export interface SchedulerOptions {
  /** `swarm.createretry`: after a failed create, how many more nodes (next in rank) to try. */
  createRetry: number;
}

/** A failure another node might not have: the engine unreachable, or its own 5xx. */
class RetryableCreateError extends DockerError {}

/** A 64-hex ID no container of the cluster carries yet (classic's generateUniqueID). */
function uniqueSwarmId(cluster: Cluster): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (cluster.withSwarmId(id).length === 0) return id;
  }
}

/** Classic's HaveNodeConstraint: a constraint on the node itself pins the container, so no image affinity is added. */
const pinnedToNode = (config: ContainerConfig) => (labelStrings(config.Labels, SWARM_LABELS.constraints) ?? []).some((e) => /^node\s*(==|!=)/i.test(e.trim()));

/** The same request with a hard `image==IMAGE` affinity added, for classic's second try where the image is. */
function withImageAffinity(request: CreateRequest, image: string): CreateRequest {
  const config = structuredClone(request.config);
  const affinities = labelStrings(config.Labels, SWARM_LABELS.affinities) ?? [];
  config.Labels = { ...config.Labels, [SWARM_LABELS.affinities]: JSON.stringify([...affinities, `image==${image}`]) };
  return { ...request, config };
}

/** Places a new container: beforeSchedule → filter → rank → beforeEngineCreate → create on the node → afterCreate. */
export class Scheduler {
  /** Placements run one at a time, so each sees what the ones before it hold (race-free under concurrent creates). */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly cluster: Cluster,
    private readonly hooks: SkepHooks,
    private readonly logger: Logger,
    private readonly options: SchedulerOptions = { createRetry: 0 },
  ) {}

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /**
   * Runs the filters and the ranking over every node: first with soft expressions, then, if that places nothing,
   * once more without them (classic's two passes). Changes nothing: also the dry run's answer.
   */
  async plan(request: CreateRequest, requestContext: RequestContext): Promise<Placement> {
    // what a node's containers reserve is known once they are inspected: only just after start does this wait
    await this.cluster.inventories();
    const placement = await planOver(this.hooks, this.cluster.all().map(nodeView), request, requestContext);
    const { ranked, nodes } = placement;
    this.logger.debug(`placing ${request.name ?? 'a container'}: ${ranked[0] ? `${ranked[0].name} (${ranked[0].containers} containers)` : 'no node'}, ${ranked.length} of ${nodes.length} nodes fit`);
    return placement;
  }

  /** The body for the chosen node's engine, after the per-node taps (CpuShares as cores, a pull first...). */
  private async bodyFor(engine: Engine, context: ScheduleContext): Promise<ContainerConfig> {
    if (!this.hooks.beforeEngineCreate.isUsed()) return context.request.config;
    const actions: NodeActions = {
      hasImage: (ref) => nodeView(engine).hasImage(ref),
      pull: (ref, headers) => {
        const { fromImage, tag } = pullParams(ref);
        return pullOn(engine, { search: new URLSearchParams({ fromImage, tag }).toString(), headers, apiVersion: context.requestContext.apiVersion });
      },
    };
    return this.hooks.beforeEngineCreate.promise(structuredClone(context.request.config), { ...context, node: nodeView(engine), actions });
  }

  private async createOn(engine: Engine, context: ScheduleContext, headers: Record<string, string>): Promise<EngineResponse> {
    const body = await this.bodyFor(engine, context);
    try {
      return await engine.client.request('POST', versionedPath('containers/create', context.requestContext.apiVersion, engine.version?.ApiVersion), {
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        query: { ...context.request.query, name: context.request.name },
      });
    } catch (err) {
      // the node could not be reached: that counts toward its health, and the next ranked node is tried
      engine.noteError(err);
      this.logger.warn(`node ${engine.name} could not be reached for a create: ${(err as Error).message}`);
      throw new RetryableCreateError(500, `${connectionMessage(engine.address)} (node ${engine.name}: ${(err as Error).message})`);
    }
  }

  async create(original: CreateRequest, requestContext: RequestContext, headers: Record<string, string>): Promise<CreateOutcome> {
    normalizeReschedulePolicy(original.config);
    const request = await this.hooks.beforeSchedule.promise(original, requestContext);
    // classic's swarm ID: how this (or a restarted, or another) manager knows the container, across rescheduling too
    if (!request.config.Labels?.[SWARM_LABELS.id]) request.config.Labels = { ...request.config.Labels, [SWARM_LABELS.id]: uniqueSwarmId(this.cluster) };
    const releaseName = request.name ? this.cluster.reserveName(request.name) : () => {};
    try {
      return await this.place(request, requestContext, headers);
    } catch (err) {
      if (!(err instanceof MissingImageError)) throw err;
      // Classic's image affinity: the chosen node lacks the image and could not get it, but another node has it.
      const image = request.config.Image!;
      if (pinnedToNode(request.config) || !this.cluster.healthy().some((e) => nodeView(e).hasImage(image))) return err.outcome();
      this.logger.info(`${image} is not on ${err.engine.name} and could not be got there (${err.message}); scheduling again with affinity image==${image}`);
      try {
        return await this.place(withImageAffinity(request, image), requestContext, headers);
      } catch (again) {
        if (again instanceof MissingImageError) return again.outcome();
        throw again;
      }
    } finally {
      releaseName();
    }
  }

  /** One placement: plan, hold the first node's reservation, create there (then the next ranked nodes, as allowed). */
  private async place(request: CreateRequest, requestContext: RequestContext, headers: Record<string, string>): Promise<CreateOutcome> {
    let held: { engine: Engine; pending: PendingCreate } | undefined;
    const hold = (node: NodeView | undefined, context: ScheduleContext) => {
      if (held) held.engine.pending.delete(held.pending);
      const engine = node && this.cluster.engines.get(node.addr);
      if (!engine) throw new DockerError(500, 'the chosen node left the cluster during scheduling');
      held = { engine, pending: { name: request.name, config: request.config, reserve: { ...context.reserve } } };
      engine.pending.add(held.pending);
      return engine;
    };
    // `return await` below, not `return`: the hold must last until the container is in the cache
    try {
      const { ranked, context } = await this.exclusive(async () => {
        const placement = await this.plan(request, requestContext);
        if (placement.ranked.length === 0) throw new DockerError(500, placement.message!);
        hold(placement.ranked[0], placement.context);
        return placement;
      });
      const attempts = Math.min(ranked.length, 1 + this.options.createRetry);
      for (let attempt = 0; ; attempt++) {
        const engine = attempt === 0 ? held!.engine : hold(ranked[attempt], context);
        const image = request.config.Image;
        const lacksImage = () => Boolean(image) && !nodeView(engine).hasImage(image!);
        let response: EngineResponse;
        try {
          response = await this.createOn(engine, context, headers);
        } catch (err) {
          const unreachable = err instanceof RetryableCreateError;
          // an unreachable node is passed over for the next ranked one, whatever swarm.createretry says
          if (unreachable && attempt + 1 < ranked.length && attempt + 1 < Math.max(attempts, 2)) {
            this.logger.warn(`trying ${ranked[attempt + 1]!.name} instead of ${engine.name}`);
            continue;
          }
          if (!unreachable && err instanceof DockerError && lacksImage()) throw new MissingImageError(engine, err);
          throw err;
        }
        if (response.status === 404 && lacksImage()) throw new MissingImageError(engine, response);
        if (response.status >= 500 && attempt + 1 < attempts) {
          this.logger.warn(`create on ${engine.name} failed (the engine answered ${response.status}); trying ${ranked[attempt + 1]!.name}`);
          continue;
        }
        if (response.status !== 201) return { engine, response };
        return await this.created(engine, response, request, requestContext);
      }
    } finally {
      if (held) held.engine.pending.delete(held.pending);
    }
  }

  /** The engine created it: into the cache before the client hears, then afterCreate. */
  private async created(engine: Engine, response: EngineResponse, request: CreateRequest, requestContext: RequestContext): Promise<CreateOutcome> {
    const created = JSON.parse(response.body.toString('utf8')) as { Id: string; Warnings?: string[] | null };
    await engine.refreshContainer(created.Id);
    this.logger.debug(`created ${created.Id.slice(0, 12)}${request.name ? ` (${request.name})` : ''} on ${engine.name}`);
    this.hooks.afterCreate
      .promise({ id: created.Id, name: request.name, node: nodeView(engine), warnings: created.Warnings ?? [] }, requestContext)
      .catch((err: Error) => this.logger.error(`afterCreate: ${err.message}`));
    return { engine, response, id: created.Id };
  }
}

/** The chosen node lacks the image and could not get it: the engine's own answer (or error), kept for the client. */
class MissingImageError extends Error {
  constructor(
    readonly engine: Engine,
    private readonly failure: DockerError | EngineResponse,
  ) {
    super(failure instanceof DockerError ? failure.message : `the engine answered ${failure.status}`);
  }

  /** What the client gets when no second try helps: the engine's answer as it is, or its error. */
  outcome(): CreateOutcome {
    if (this.failure instanceof DockerError) throw this.failure;
    return { engine: this.engine, response: this.failure };
  }
}
