import { randomBytes } from 'node:crypto';
import { versionedPath } from '../cluster/api-version.js';
import { createFor, readAt } from '../cluster/version-shims.js';
import type { Cluster } from '../cluster/cluster.js';
import { type EngineResponse, mayHaveReached } from '../cluster/engine-client.js';
import type { Engine } from '../cluster/engine.js';
import { connectionMessage } from '../cluster/address.js';
import { pullOn } from '../cluster/image-pull.js';
import { pullParams } from '../cluster/image-ref.js';
import { nodeView } from '../cluster/node-view.js';
import { DockerError } from '../errors.js';
import { type SkepHooks, tapped } from '../hooks.js';
import type { ContainerConfig, CreateRequest, NodeActions, PlacementRequestContext, RequestContext, ScheduleContext } from '../pipeline-types.js';
import { labelStrings, SWARM_LABELS } from '../swarm-labels.js';
import type { PlacementService } from './placement-service.js';
import { normalizeReschedulePolicy } from './reschedule-policy.js';

export interface CreateOutcome {
  engine: Engine;
  /** The engine's answer, passed on to the client as it is (201 with the ID, or the engine's error). */
  response: EngineResponse;
  id?: string;
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

/**
 * Classic's HaveNodeConstraint: a hard `node==` constraint pins the container, so no image affinity is added; a
 * soft one (`node==~`) gives way to it, and `node!=` pins nothing.
 */
const pinnedToNode = (config: ContainerConfig) => (labelStrings(config.Labels, SWARM_LABELS.constraints) ?? []).some((e) => /^node\s*==(?!~)/i.test(e.trim()));

/** The same request with a hard `image==IMAGE` affinity added, for classic's second try where the image is. */
function withImageAffinity(request: CreateRequest, image: string): CreateRequest {
  const config = structuredClone(request.config);
  const affinities = labelStrings(config.Labels, SWARM_LABELS.affinities) ?? [];
  config.Labels = { ...config.Labels, [SWARM_LABELS.affinities]: JSON.stringify([...affinities, `image==${image}`]) };
  return { ...request, config };
}

/**
 * A container's placement, on the placement service: beforeSchedule → reserve → filter → rank → hold →
 * beforeEngineCreate → the engine's create → into the cache → release → afterCreate. After it: the next ranked
 * node when one is unreachable (or, with `swarm.createretry`, answers 5xx), and classic's image affinity when the
 * chosen node lacks the image.
 */
export async function createContainer(
  service: PlacementService,
  original: CreateRequest,
  requestContext: RequestContext,
  headers: Record<string, string>,
  options: CreateOptions,
): Promise<CreateOutcome> {
  const { cluster, logger } = service;
  normalizeReschedulePolicy(original.config);
  const { request, context } = await service.prepare(options.placing, original, requestContext);
  // classic's swarm ID: how this (or a restarted, or another) manager knows the container, across rescheduling too
  if (!request.config.Labels?.[SWARM_LABELS.id]) request.config.Labels = { ...request.config.Labels, [SWARM_LABELS.id]: uniqueSwarmId(cluster) };
  const releaseName = request.name ? cluster.reserveName(request.name) : () => {};
  try {
    return await placeOnce(service, request, context, headers, options);
  } catch (err) {
    if (!(err instanceof MissingImageError)) throw err;
    // Classic's image affinity: the chosen node lacks the image and could not get it, but another node has it.
    const image = request.config.Image!;
    if (pinnedToNode(request.config) || !cluster.healthy().some((e) => nodeView(e).hasImage(image))) return err.outcome();
    logger.info(`${image} is not on ${err.engine.name} and could not be got there (${err.message}); scheduling again with affinity image==${image}`);
    try {
      return await placeOnce(service, withImageAffinity(request, image), context, headers, options);
    } catch (again) {
      if (again instanceof MissingImageError) return again.outcome();
      throw again;
    }
  } finally {
    releaseName();
  }
}

export interface CreateOptions {
  placing: 'container' | 'reschedule';
  /** `swarm.createretry`: after a failed create, how many more nodes (next in rank) to try. */
  createRetry: number;
}

/** The body for the chosen node's engine, after the per-node taps (CpuShares as cores, a pull first...). */
async function bodyFor(hooks: SkepHooks, engine: Engine, context: ScheduleContext): Promise<ContainerConfig> {
  if (!tapped(hooks.beforeEngineCreate)) return context.request.config;
  const actions: NodeActions = {
    hasImage: (ref) => nodeView(engine).hasImage(ref),
    pull: (ref, headers) => {
      const { fromImage, tag } = pullParams(ref);
      return pullOn(engine, { search: new URLSearchParams({ fromImage, tag }).toString(), headers, apiVersion: context.requestContext.apiVersion });
    },
  };
  return hooks.beforeEngineCreate.promise(structuredClone(context.request.config), { ...context, node: nodeView(engine), actions });
}

async function createOn(service: PlacementService, engine: Engine, context: ScheduleContext, headers: Record<string, string>): Promise<EngineResponse> {
  const body = await bodyFor(service.hooks, engine, context);
  const swarmId = body.Labels?.[SWARM_LABELS.id];
  if (swarmId) service.abandoned?.placing(engine, swarmId);
  const apiVersion = context.requestContext.apiVersion;
  const { client, sent } = readAt(apiVersion, service.cluster.apiVersions().max, engine.version);
  // the meaning the body has at the client's API version, at the one this engine reads it at
  const { body: forEngine, connect } = createFor(body, client, sent);
  try {
    const res = await engine.client.request('POST', versionedPath('containers/create', apiVersion, engine.version), {
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(forEngine),
      query: { ...context.request.query, name: context.request.name },
    });
    return res.status === 201 && connect.length > 0 ? await connectAfterCreate(engine, res, connect, apiVersion) : res;
  } catch (err) {
    // the node could not be reached: that counts toward its health, and the next ranked node is tried
    engine.report(err);
    service.logger.warn(`node ${engine.name} could not be reached for a create: ${(err as Error).message}`);
    // it may have made the container all the same: a twin, removed once the node can be asked
    if (swarmId && mayHaveReached(err)) await service.abandoned?.record(engine, swarmId);
    throw new RetryableCreateError(500, `${connectionMessage(engine.address)} (node ${engine.name}: ${(err as Error).message})`);
  }
}

/**
 * The networks beyond the first, for an engine older than API 1.44 (one network at create): connected once the
 * container is made. One it cannot join: the container is removed, and the client gets the engine's answer.
 */
async function connectAfterCreate(engine: Engine, created: EngineResponse, connect: [string, unknown][], apiVersion: string | undefined): Promise<EngineResponse> {
  const { Id } = JSON.parse(created.body.toString('utf8')) as { Id: string };
  for (const [network, EndpointConfig] of connect) {
    const res = await engine.client.request('POST', versionedPath(`networks/${encodeURIComponent(network)}/connect`, apiVersion, engine.version), {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Container: Id, EndpointConfig }),
    });
    if (res.status >= 300) {
      await engine.client.request('DELETE', `containers/${Id}`, { query: { force: 1, v: 1 } }).catch(() => undefined);
      return res;
    }
  }
  return created;
}

/** One placement: choose and hold the first node, create there (then on the next ranked nodes, as allowed). */
async function placeOnce(service: PlacementService, request: CreateRequest, placing: PlacementRequestContext, headers: Record<string, string>, options: CreateOptions): Promise<CreateOutcome> {
  const held = await service.choose(request, placing);
  const { ranked, context } = held.plan;
  // `return await` below, not `return`: the hold must last until the container is in the cache
  try {
    const attempts = Math.min(ranked.length, 1 + options.createRetry);
    for (let attempt = 0; ; attempt++) {
      const engine = attempt === 0 ? held.engines[0]! : held.moveTo(ranked[attempt]!);
      const image = request.config.Image;
      const lacksImage = () => Boolean(image) && !nodeView(engine).hasImage(image!);
      let response: EngineResponse;
      try {
        response = await createOn(service, engine, context, headers);
      } catch (err) {
        const unreachable = err instanceof RetryableCreateError;
        // an unreachable node is passed over for the next ranked one, whatever swarm.createretry says
        if (unreachable && attempt + 1 < ranked.length && attempt + 1 < Math.max(attempts, 2)) {
          service.logger.warn(`trying ${ranked[attempt + 1]!.name} instead of ${engine.name}`);
          continue;
        }
        if (!unreachable && err instanceof DockerError && lacksImage()) throw new MissingImageError(engine, err);
        throw err;
      }
      if (response.status === 404 && lacksImage()) throw new MissingImageError(engine, response);
      if (response.status >= 500 && attempt + 1 < attempts) {
        service.logger.warn(`create on ${engine.name} failed (the engine answered ${response.status}); trying ${ranked[attempt + 1]!.name}`);
        continue;
      }
      if (response.status !== 201) return { engine, response };
      return await created(service, engine, response, request, placing);
    }
  } finally {
    held.release();
  }
}

/** The engine created it: into the cache before the client hears, then afterCreate. */
async function created(service: PlacementService, engine: Engine, response: EngineResponse, request: CreateRequest, requestContext: RequestContext): Promise<CreateOutcome> {
  const created = JSON.parse(response.body.toString('utf8')) as { Id: string; Warnings?: string[] | null };
  await engine.refreshContainer(created.Id);
  service.logger.debug(`created ${created.Id.slice(0, 12)}${request.name ? ` (${request.name})` : ''} on ${engine.name}`);
  service.hooks.afterCreate
    .promise({ id: created.Id, name: request.name, node: nodeView(engine), warnings: created.Warnings ?? [] }, requestContext)
    .catch((err: Error) => service.logger.error(`afterCreate: ${err.message}`));
  return { engine, response, id: created.Id };
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
