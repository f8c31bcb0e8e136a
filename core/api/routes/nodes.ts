import type Router from '@koa/router';
import type { Engine } from '../../cluster/engine.js';
import { nodeLabels } from '../../cluster/node-view.js';
import { DockerError } from '../../errors.js';
import { answer } from '../answer.js';
import { readJsonObject } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { compareText } from '../format.js';

const HEALTH_TEXT = { pending: 'Pending', healthy: 'Healthy', unhealthy: 'Unhealthy' } as const;

/** One node as `/skep/nodes` describes it: what `docker info` shows of it, and what operators set. */
function describe(engine: Engine) {
  const { size, running } = engine.containers;
  return {
    ID: engine.info?.ID ?? '',
    Name: engine.name,
    Addr: engine.addr,
    Status: HEALTH_TEXT[engine.health],
    Availability: engine.maintenance.availability,
    /** Skep-side labels only (`--label-add`); `Labels` in `docker info` shows them merged over the engine's. */
    Labels: engine.maintenance.labels,
    EngineLabels: Object.fromEntries(Object.entries(nodeLabels(engine)).filter(([k]) => !(k in engine.maintenance.labels))),
    Containers: size,
    ContainersRunning: running,
    ServerVersion: engine.version?.Version ?? '',
    Error: engine.lastError ?? '',
  };
}

const isStringRecord = (v: unknown): v is Record<string, string> => v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');

/**
 * Node maintenance through the manager's API (what `swarm node ls` and `swarm node update` call):
 * `GET /skep/nodes`, `GET /skep/nodes/NODE`, `POST /skep/nodes/NODE/update` with
 * `{"Availability": "drain", "LabelAdd": {"k": "v"}, "LabelRm": ["k"]}`. NODE is a name, an address or an ID.
 */
export function nodeRoutes(router: Router, deps: ApiDeps): void {
  const { cluster, maintenance } = deps;
  router.get('skep.node.list', '/skep/nodes', (ctx) =>
    answer(
      ctx,
      deps,
      cluster
        .all()
        .sort((a, b) => compareText(a.name, b.name))
        .map(describe),
    ),
  );
  router.get('skep.node.inspect', '/skep/nodes/:node', (ctx) => answer(ctx, deps, describe(cluster.findNode(ctx.params.node!))));
  router.post('skep.node.update', '/skep/nodes/:node/update', async (ctx) => {
    const body = await readJsonObject(ctx);
    const unknown = Object.keys(body).filter((k) => !['Availability', 'LabelAdd', 'LabelRm'].includes(k));
    if (unknown.length > 0) throw new DockerError(400, `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: Availability, LabelAdd, LabelRm)`);
    const { Availability, LabelAdd, LabelRm } = body;
    if (Availability !== undefined && typeof Availability !== 'string') throw new DockerError(400, 'Availability must be a string: active, pause or drain');
    if (LabelAdd !== undefined && !isStringRecord(LabelAdd)) throw new DockerError(400, 'LabelAdd must be an object of string values');
    if (LabelRm !== undefined && !(Array.isArray(LabelRm) && LabelRm.every((k) => typeof k === 'string'))) throw new DockerError(400, 'LabelRm must be a list of label keys');
    const engine = await maintenance.update(ctx.params.node!, { availability: Availability, labelAdd: LabelAdd, labelRm: LabelRm as string[] | undefined });
    await answer(ctx, deps, describe(engine));
  });
}
