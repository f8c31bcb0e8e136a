import { versionedPath } from '../cluster/api-version.js';
import type { Cluster } from '../cluster/cluster.js';
import { engineMessage, type EngineResponse } from '../cluster/engine-client.js';
import type { Engine, PendingCreate } from '../cluster/engine.js';
import { pullOn } from '../cluster/image-pull.js';
import { pullParams } from '../cluster/image-ref.js';
import { nodeView } from '../cluster/node-view.js';
import { DockerError } from '../errors.js';
import type { SkepHooks } from '../hooks.js';
import type { Logger } from '../log.js';
import type { ContainerConfig, CreateRequest, NodeActions, NodeView, RequestContext, ScheduleContext } from '../pipeline-types.js';
import { noNodeMessage } from './no-node-message.js';

export interface CreateOutcome {
  engine: Engine;
  /** The engine's answer, passed on to the client as it is (201 with the ID, or the engine's error). */
  response: EngineResponse;
  id?: string;
}

/** What placement would do with a create: the nodes best first, and why each other node was left out. */
export interface Placement {
  nodes: NodeView[];
  ranked: NodeView[];
  context: ScheduleContext;
}

export interface SchedulerOptions {
  /** `swarm.createretry`: after a failed create, how many more nodes (next in rank) to try. */
  createRetry: number;
}

/** A failure another node might not have: the engine unreachable, or its own 5xx. */
class RetryableCreateError extends DockerError {}

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

  /** Runs the filters and the ranking over every node. Changes nothing: also the dry run's answer. */
  async plan(request: CreateRequest, requestContext: RequestContext): Promise<Placement> {
    const reserve = { cpus: 0, memory: Number(request.config.HostConfig?.Memory ?? 0) || 0 };
    const context: ScheduleContext = { request, requestContext, rejections: [], reserve };
    // what a node's containers reserve is known once they are inspected: only just after start does this wait
    await this.cluster.inventories();
    const nodes = this.cluster.all().map(nodeView);
    const candidates = await this.hooks.filter.promise(nodes, context);
    const ranked = candidates.length > 0 ? await this.hooks.rank.promise(candidates, context) : [];
    this.logger.debug(`placing ${request.name ?? 'a container'}: ${ranked[0] ? `${ranked[0].name} (${ranked[0].containers} containers)` : 'no node'}, ${ranked.length} of ${nodes.length} nodes fit`);
    return { nodes, ranked, context };
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
    let response: EngineResponse;
    try {
      response = await engine.client.request('POST', versionedPath('containers/create', context.requestContext.apiVersion, engine.version?.ApiVersion), {
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        query: { ...context.request.query, name: context.request.name },
      });
    } catch (err) {
      engine.noteError(err);
      throw new RetryableCreateError(500, `Cannot create the container on node ${engine.name}: ${(err as Error).message}`);
    }
    return response;
  }

  async create(original: CreateRequest, requestContext: RequestContext, headers: Record<string, string>): Promise<CreateOutcome> {
    const request = await this.hooks.beforeSchedule.promise(original, requestContext);
    const releaseName = request.name ? this.cluster.reserveName(request.name) : () => {};
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
        if (placement.ranked.length === 0) throw new DockerError(500, noNodeMessage(placement.nodes, placement.context.rejections));
        hold(placement.ranked[0], placement.context);
        return placement;
      });
      const attempts = Math.min(ranked.length, 1 + this.options.createRetry);
      let imageFallback = true;
      for (let attempt = 0; ; attempt++) {
        const engine = attempt === 0 ? held!.engine : hold(ranked[attempt], context);
        let response: EngineResponse;
        try {
          response = await this.createOn(engine, context, headers);
          if (response.status === 404 && isMissingImage(new DockerError(404, engineMessage(response.body)))) throw new DockerError(404, engineMessage(response.body));
          if (response.status >= 500 && attempt + 1 < attempts) throw new RetryableCreateError(response.status, `node ${engine.name} answered ${response.status}`);
        } catch (err) {
          // An image this node lacks and cannot pull, that another candidate has: go there (classic swarm's image affinity).
          const image = request.config.Image;
          const holder = imageFallback && image && isMissingImage(err) ? ranked.find((n) => n.addr !== engine.addr && n.hasImage(image)) : undefined;
          if (holder) {
            imageFallback = false;
            this.logger.info(`${image} is not on ${engine.name} and could not be pulled there; creating on ${holder.name}, which has it`);
            const response = await this.createOn(hold(holder, context), context, headers);
            if (response.status !== 201) return { engine: held!.engine, response };
            return await this.created(held!.engine, response, request, requestContext);
          }
          if (!(err instanceof RetryableCreateError) || attempt + 1 >= attempts) throw err;
          this.logger.warn(`create on ${engine.name} failed (${err.message}); trying ${ranked[attempt + 1]!.name}`);
          continue;
        }
        if (response.status !== 201) return { engine, response };
        return await this.created(engine, response, request, requestContext);
      }
    } finally {
      if (held) held.engine.pending.delete(held.pending);
      releaseName();
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

const isMissingImage = (err: unknown) => err instanceof DockerError && err.status === 404 && /No such image/i.test(err.message);
