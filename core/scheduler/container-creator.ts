import { engineMessage } from '../cluster/engine-client.js';
import type { Engine } from '../cluster/engine.js';
import { nodeView } from '../cluster/node-view.js';
import { DockerError } from '../errors.js';
import type {
  CreateRequest,
  NodeView,
  PlacementRequestContext,
  RequestContext,
} from '../pipeline-types.js';
import { SWARM_LABELS } from '../swarm-labels.js';
import type { AbandonedCreates } from './abandoned-creates.js';
import {
  createOn,
  MissingImageError,
  pinnedToNode,
  RetryableCreateError,
  uniqueSwarmId,
  withImageAffinity,
} from './node-create.js';
import type { PlacementService } from './placement-service.js';
import { normalizeReschedulePolicy } from './reschedule-policy.js';

/** A container the engine made: where, its ID, and what the engine warned of. */
export interface Created {
  engine: Engine;
  id: string;
  warnings: string[];
}

export interface CreatorOptions {
  /** `swarm.createretry`: after a failed create, how many more nodes (next in rank) to try. */
  createRetry: number;
  /**
   * Where a create given up on a node that may have made it is recorded,
   * so its twin there is removed.
   */
  abandoned?: AbandonedCreates;
}

/**
 * Creating containers, for the create route and the rescheduler: placed by the placement
 * service (beforeSchedule → reserve → filter → rank → hold), then beforeEngineCreate →
 * the engine's create → into the cache → release → afterCreate. After it: the next ranked
 * node when one is unreachable (or, with `swarm.createretry`, answers 5xx), and classic's image
 * affinity when the chosen node lacks the image. Answers the container made, or the engine's
 * error as a DockerError with its status.
 */
export class ContainerCreator {
  constructor(
    private readonly placement: PlacementService,
    private readonly options: CreatorOptions,
  ) {}

  async create(
    original: CreateRequest,
    requestContext: RequestContext,
    headers: Record<string, string>,
    placing: 'container' | 'reschedule' = 'container',
  ): Promise<Created> {
    const { cluster, logger } = this.placement;
    normalizeReschedulePolicy(original.config);
    const { request, context } = await this.placement.prepare(placing, original, requestContext);
    // classic's swarm ID: how this (or a restarted, or another) manager knows the container,
    // across rescheduling too
    if (!request.config.Labels?.[SWARM_LABELS.id])
      request.config.Labels = {
        ...request.config.Labels,
        [SWARM_LABELS.id]: uniqueSwarmId(cluster),
      };
    const releaseName = request.name ? cluster.reserveName(request.name) : () => {};
    try {
      return await this.placeOnce(request, context, headers);
    } catch (err) {
      if (!(err instanceof MissingImageError)) throw err;
      // Classic's image affinity: the chosen node lacks the image and could not get it,
      // but another node has it.
      const image = request.config.Image!;
      if (
        pinnedToNode(request.config) ||
        !cluster.healthy().some((e) => nodeView(e).hasImage(image))
      )
        throw err.failure;
      logger.info(
        `${image} is not on ${err.engine.name} and could not be got there (${err.message}); ` +
          `scheduling again with affinity image==${image}`,
      );
      try {
        return await this.placeOnce(withImageAffinity(request, image), context, headers);
      } catch (again) {
        throw again instanceof MissingImageError ? again.failure : again;
      }
    } finally {
      releaseName();
    }
  }

  /**
   * One placement: choose and hold the first node, create there
   * (then on the next ranked nodes, as allowed).
   */
  private async placeOnce(
    request: CreateRequest,
    placing: PlacementRequestContext,
    headers: Record<string, string>,
  ): Promise<Created> {
    const { logger } = this.placement;
    const deps = {
      cluster: this.placement.cluster,
      hooks: this.placement.hooks,
      logger,
      abandoned: this.options.abandoned,
    };
    const held = await this.placement.choose(request, placing);
    const { context } = held.plan;
    // the whole ranking is worked out only for a retry on the next node
    let ranked: NodeView[] | undefined;
    const nextRanked = async (attempt: number) => (ranked ??= await held.plan.ranked())[attempt];
    // `return await` below, not `return`: the hold must last until the container is in the cache
    try {
      const attempts = 1 + this.options.createRetry;
      for (let attempt = 0; ; attempt++) {
        const next = attempt === 0 ? undefined : await nextRanked(attempt);
        const engine = next ? held.moveTo(next) : held.engines[0]!;
        const image = request.config.Image;
        const lacksImage = () => Boolean(image) && !nodeView(engine).hasImage(image!);
        let response;
        try {
          response = await createOn(deps, engine, context, headers);
        } catch (err) {
          const unreachable = err instanceof RetryableCreateError;
          // an unreachable node is passed over for the next ranked one,
          // whatever swarm.createretry says
          const then =
            unreachable && attempt + 1 < Math.max(attempts, 2) && (await nextRanked(attempt + 1));
          if (then) {
            logger.warn(`trying ${then.name} instead of ${engine.name}`);
            continue;
          }
          if (!unreachable && err instanceof DockerError && lacksImage())
            throw new MissingImageError(engine, err);
          throw err;
        }
        const failure = () => new DockerError(response.status, engineMessage(response.body));
        if (response.status === 404 && lacksImage()) throw new MissingImageError(engine, failure());
        const then =
          response.status >= 500 && attempt + 1 < attempts && (await nextRanked(attempt + 1));
        if (then) {
          logger.warn(
            `create on ${engine.name} failed (the engine answered ${response.status}); ` +
              `trying ${then.name}`,
          );
          continue;
        }
        if (response.status !== 201) throw failure();
        const { Id, Warnings } = JSON.parse(response.body.toString('utf8')) as {
          Id: string;
          Warnings?: string[] | null;
        };
        return await this.created({ engine, id: Id, warnings: Warnings ?? [] }, request, placing);
      }
    } finally {
      held.release();
    }
  }

  /**
   * The engine created it: into the cache before the client hears, then afterCreate
   * (a failing tap is logged by the hooks).
   */
  private async created(
    created: Created,
    request: CreateRequest,
    requestContext: RequestContext,
  ): Promise<Created> {
    const { engine, id, warnings } = created;
    await engine.refreshContainer(id);
    this.placement.logger.debug(
      `created ${id.slice(0, 12)}${request.name ? ` (${request.name})` : ''} on ${engine.name}`,
    );
    this.placement.hooks.afterCreate
      .promise({ id, name: request.name, node: nodeView(engine), warnings }, requestContext)
      .catch(() => {});
    return created;
  }
}
