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
import type {
  ContainerConfig,
  CreateRequest,
  NodeActions,
  ScheduleContext,
} from '../pipeline-types.js';
import { labelStrings, SWARM_LABELS } from '../swarm-labels.js';
import type { Logger } from '../log.js';
import type { AbandonedCreates } from './abandoned-creates.js';

/** A failure another node might not have: the engine unreachable, or its own 5xx. */
export class RetryableCreateError extends DockerError {}

/** A 64-hex ID no container of the cluster carries yet (classic's generateUniqueID). */
export function uniqueSwarmId(cluster: Cluster): string {
  for (;;) {
    const id = randomBytes(32).toString('hex');
    if (cluster.withSwarmId(id).length === 0) return id;
  }
}

/**
 * Classic's HaveNodeConstraint: a hard `node==` constraint pins the container, so no image
 * affinity is added; a soft one (`node==~`) gives way to it, and `node!=` pins nothing.
 */
export const pinnedToNode = (config: ContainerConfig) =>
  (labelStrings(config.Labels, SWARM_LABELS.constraints) ?? []).some((e) =>
    /^node\s*==(?!~)/i.test(e.trim()),
  );

/**
 * The same request with a hard `image==IMAGE` affinity added,
 * for classic's second try where the image is.
 */
export function withImageAffinity(request: CreateRequest, image: string): CreateRequest {
  const config = structuredClone(request.config);
  const affinities = labelStrings(config.Labels, SWARM_LABELS.affinities) ?? [];
  config.Labels = {
    ...config.Labels,
    [SWARM_LABELS.affinities]: JSON.stringify([...affinities, `image==${image}`]),
  };
  return { ...request, config };
}

/**
 * The body for the chosen node's engine, after the per-node taps
 * (CpuShares as cores, a pull first...).
 */
async function bodyFor(
  hooks: SkepHooks,
  engine: Engine,
  context: ScheduleContext,
): Promise<ContainerConfig> {
  if (!tapped(hooks.beforeEngineCreate)) return context.request.config;
  const actions: NodeActions = {
    hasImage: (ref) => nodeView(engine).hasImage(ref),
    pull: (ref, headers) => {
      const { fromImage, tag } = pullParams(ref);
      return pullOn(engine, {
        search: new URLSearchParams({ fromImage, tag }).toString(),
        headers,
        apiVersion: context.requestContext.apiVersion,
      });
    },
  };
  return hooks.beforeEngineCreate.promise(structuredClone(context.request.config), {
    ...context,
    node: nodeView(engine),
    actions,
  });
}

/** What a create on one node needs of the manager. */
export interface NodeCreateDeps {
  cluster: Cluster;
  hooks: SkepHooks;
  logger: Logger;
  /**
   * Where a create given up on a node that may have made it is recorded,
   * so its twin there is removed.
   */
  abandoned?: AbandonedCreates;
}

/**
 * The create on the chosen node: the per-node taps, the body as this engine reads it, the
 * engine's answer (a RetryableCreateError when the engine could not be reached, which counts
 * toward its health).
 */
export async function createOn(
  deps: NodeCreateDeps,
  engine: Engine,
  context: ScheduleContext,
  headers: Record<string, string>,
): Promise<EngineResponse> {
  const body = await bodyFor(deps.hooks, engine, context);
  const swarmId = body.Labels?.[SWARM_LABELS.id];
  if (swarmId) deps.abandoned?.placing(engine, swarmId);
  const apiVersion = context.requestContext.apiVersion;
  const { client, sent } = readAt(apiVersion, deps.cluster.apiVersions().max, engine.version);
  // the meaning the body has at the client's API version, at the one this engine reads it at
  const { body: forEngine, connect } = createFor(body, client, sent);
  try {
    const res = await engine.request(
      'POST',
      versionedPath('containers/create', apiVersion, engine.version),
      {
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(forEngine),
        query: { ...context.request.query, name: context.request.name },
      },
    );
    return res.status === 201 && connect.length > 0
      ? await connectAfterCreate(engine, res, connect, apiVersion)
      : res;
  } catch (err) {
    // the node could not be reached (counted toward its health by the engine):
    // the next ranked node is tried
    deps.logger.warn(
      `node ${engine.name} could not be reached for a create: ${(err as Error).message}`,
    );
    // it may have made the container all the same: a twin, removed once the node can be asked
    if (swarmId && mayHaveReached(err)) await deps.abandoned?.record(engine, swarmId);
    throw new RetryableCreateError(
      500,
      `${connectionMessage(engine.address)} (node ${engine.name}: ${(err as Error).message})`,
    );
  }
}

/**
 * The networks beyond the first, for an engine older than API 1.44 (one network at create):
 * connected once the container is made. One it cannot join: the container is removed, and the
 * client gets the engine's answer.
 */
async function connectAfterCreate(
  engine: Engine,
  created: EngineResponse,
  connect: [string, unknown][],
  apiVersion: string | undefined,
): Promise<EngineResponse> {
  const { Id } = JSON.parse(created.body.toString('utf8')) as { Id: string };
  for (const [network, EndpointConfig] of connect) {
    const res = await engine.request(
      'POST',
      versionedPath(`networks/${encodeURIComponent(network)}/connect`, apiVersion, engine.version),
      {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Container: Id, EndpointConfig }),
      },
    );
    if (res.status >= 300) {
      await engine
        .request('DELETE', `containers/${Id}`, { query: { force: 1, v: 1 } })
        .catch(() => undefined);
      return res;
    }
  }
  return created;
}

/**
 * The chosen node lacks the image and could not get it:
 * the engine's own error, kept for the client.
 */
export class MissingImageError extends Error {
  constructor(
    readonly engine: Engine,
    /** What the client gets when no second try helps. */
    readonly failure: DockerError,
  ) {
    super(failure.message);
  }
}
