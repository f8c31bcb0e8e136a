import { versionedPath } from '../cluster/api-version.js';
import type { Cluster } from '../cluster/cluster.js';
import type { EngineResponse } from '../cluster/engine-client.js';
import type { Engine } from '../cluster/engine.js';
import { nodeView } from '../cluster/node-view.js';
import { DockerError } from '../errors.js';
import type { SkepHooks } from '../hooks.js';
import type { Logger } from '../log.js';
import type { CreateRequest, NodeView, Rejection, RequestContext, ScheduleContext } from '../pipeline-types.js';
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
    const rejections: Rejection[] = [];
    const context: ScheduleContext = { request, requestContext, rejections };
    const nodes = this.cluster.all().map(nodeView);
    const candidates = await this.hooks.filter.promise(nodes, context);
    if (candidates.length === 0) throw new DockerError(500, noNodeMessage(nodes, rejections));
    return this.hooks.rank.promise(candidates, context);
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
        response = await engine.client.request('POST', versionedPath('containers/create', requestContext.apiVersion, engine.version?.ApiVersion), {
          headers: { ...headers, 'content-type': 'application/json' },
          body: JSON.stringify(request.config),
          query: { ...request.query, name: request.name },
        });
      } catch (err) {
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
