import { versionedPath } from '../cluster/api-version.js';
import type { Cluster } from '../cluster/cluster.js';
import type { EngineResponse } from '../cluster/engine-client.js';
import type { Engine } from '../cluster/engine.js';
import { nodeView } from '../cluster/node-view.js';
import { DockerError } from '../errors.js';
import type { SkepHooks } from '../hooks.js';
import type { Logger } from '../log.js';
import type { ContainerConfig, CreateRequest, NodeActions, NodeView, RequestContext, ScheduleContext } from '../pipeline-types.js';
import { imageMatchesRef, pullParams } from '../cluster/image-ref.js';
import { pullOn } from '../cluster/image-pull.js';
import { noNodeMessage } from './no-node-message.js';

export interface CreateOutcome {
  engine: Engine;
  /** The engine's answer, passed on to the client as it is (201 with the ID, or the engine's error). */
  response: EngineResponse;
  id?: string;
}

/** Places a new container: beforeSchedule → filter → rank → create on the first node → afterCreate. */
export class Scheduler {
  constructor(
    private readonly cluster: Cluster,
    private readonly hooks: SkepHooks,
    private readonly logger: Logger,
  ) {}

  /** Runs the filters and the ranking; returns the nodes in order of preference, or throws why none fits. */
  async select(request: CreateRequest, requestContext: RequestContext): Promise<NodeView[]> {
    const context: ScheduleContext = { request, requestContext, rejections: [] };
    const nodes = this.cluster.all().map(nodeView);
    const candidates = await this.hooks.filter.promise(nodes, context);
    if (candidates.length === 0) throw new DockerError(500, noNodeMessage(nodes, context.rejections));
    return this.hooks.rank.promise(candidates, context);
  }

  /** The body for the chosen node's engine, after the per-node taps (CpuShares as cores, a pull first...). */
  private async bodyFor(engine: Engine, request: CreateRequest, requestContext: RequestContext): Promise<ContainerConfig> {
    if (!this.hooks.beforeEngineCreate.isUsed()) return request.config;
    const actions: NodeActions = {
      hasImage: (ref) => engine.images.some((image) => imageMatchesRef(image, ref)),
      pull: (ref, headers) => {
        const { fromImage, tag } = pullParams(ref);
        return pullOn(engine, { search: new URLSearchParams({ fromImage, tag }).toString(), headers, apiVersion: requestContext.apiVersion });
      },
    };
    const config = structuredClone(request.config);
    return this.hooks.beforeEngineCreate.promise(config, { request, requestContext, rejections: [], node: nodeView(engine), actions });
  }

  async create(original: CreateRequest, requestContext: RequestContext, headers: Record<string, string>): Promise<CreateOutcome> {
    const request = await this.hooks.beforeSchedule.promise(original, requestContext);
    const releaseName = request.name ? this.cluster.reserveName(request.name) : () => {};
    try {
      const [chosen] = await this.select(request, requestContext);
      const engine = chosen && this.cluster.engines.get(chosen.addr);
      if (!engine) throw new DockerError(500, 'the chosen node left the cluster during scheduling');
      engine.pendingCreates++;
      let response: EngineResponse;
      try {
        const body = await this.bodyFor(engine, request, requestContext);
        response = await engine.client.request('POST', versionedPath('containers/create', requestContext.apiVersion, engine.version?.ApiVersion), {
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          query: { ...request.query, name: request.name },
        });
      } catch (err) {
        if (err instanceof DockerError) throw err;
        engine.noteError(err);
        throw new DockerError(500, `Cannot create the container on node ${engine.name}: ${(err as Error).message}`);
      } finally {
        engine.pendingCreates--;
      }
      if (response.status !== 201) return { engine, response };

      const created = JSON.parse(response.body.toString('utf8')) as { Id: string; Warnings?: string[] | null };
      await engine.refreshContainer(created.Id);
      this.logger.debug(`created ${created.Id.slice(0, 12)}${request.name ? ` (${request.name})` : ''} on ${engine.name}`);
      this.hooks.afterCreate
        .promise({ id: created.Id, name: request.name, node: nodeView(engine), warnings: created.Warnings ?? [] }, requestContext)
        .catch((err: Error) => this.logger.error(`afterCreate: ${err.message}`));
      return { engine, response, id: created.Id };
    } finally {
      releaseName();
    }
  }
}
