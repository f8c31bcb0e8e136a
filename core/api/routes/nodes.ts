import type { Engine } from '../../cluster/engine.js';
import { nodeLabels } from '../../cluster/node-view.js';
import { DockerError } from '../../errors.js';
import { answer } from '../answer.js';
import { readJsonObject } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { compareText } from '../format.js';
import { HEALTH_TEXT } from '../info.js';
import { notSwarmManager } from './system.js';
import type { RouteTable } from '../route-index.js';

/**
 * The engine's own labels and tags, without the Skep-side ones (which `nodeLabels` lays over them).
 */
const engineLabels = (engine: Engine) =>
  Object.fromEntries(
    Object.entries(nodeLabels(engine)).filter(([k]) => !(k in engine.maintenance.labels)),
  );

/**
 * One node as `/skep/nodes` describes it: what `docker info` shows of it, and what operators set.
 */
function describe(engine: Engine) {
  const { size, running } = engine.containers;
  return {
    ID: engine.info?.ID ?? '',
    Name: engine.name,
    Addr: engine.addr,
    Status: HEALTH_TEXT[engine.health],
    Availability: engine.maintenance.availability,
    /**
     * Skep-side labels only (`--label-add`);
     * `Labels` in `docker info` shows them merged over the engine's.
     */
    Labels: engine.maintenance.labels,
    EngineLabels: engineLabels(engine),
    Containers: size,
    ContainersRunning: running,
    ServerVersion: engine.version?.Version ?? '',
    Error: engine.lastError ?? '',
  };
}

const SWARM_STATE = { pending: 'unknown', healthy: 'ready', unhealthy: 'down' } as const;

/**
 * A node in swarm mode's shape, for `docker node ls` and `docker node update`: Spec holds what
 * operators set (the Skep-side labels, the availability), Description what the engine says.
 * No ManagerStatus: the nodes are no swarm managers,
 * and `docker info` still says swarm mode is inactive.
 */
function swarmNode(engine: Engine, version: number) {
  const time = (engine.updatedAt ?? new Date(0)).toISOString();
  return {
    ID: engine.info?.ID ?? engine.addr,
    Version: { Index: version },
    CreatedAt: time,
    UpdatedAt: time,
    Spec: {
      Labels: engine.maintenance.labels,
      Role: 'worker',
      Availability: engine.maintenance.availability,
    },
    Description: {
      Hostname: engine.name,
      Platform: {
        Architecture: engine.info?.Architecture ?? '',
        OS: engine.info?.OSType ?? 'linux',
      },
      Resources: {
        NanoCPUs: (engine.info?.NCPU ?? 0) * 1e9,
        MemoryBytes: engine.info?.MemTotal ?? 0,
      },
      Engine: { EngineVersion: engine.version?.Version ?? '', Labels: engineLabels(engine) },
    },
    Status: { State: SWARM_STATE[engine.health], Message: engine.lastError ?? '', Addr: engine.ip },
  };
}

const isStringRecord = (v: unknown): v is Record<string, string> =>
  v !== null &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  Object.values(v).every((x) => typeof x === 'string');

/**
 * Node maintenance through the manager's API (what `swarm node ls` and `swarm node update` call):
 * `GET /skep/nodes`, `GET /skep/nodes/NODE`, `POST /skep/nodes/NODE/update` with
 * `{"Availability": "drain", "LabelAdd": {"k": "v"}, "LabelRm": ["k"]}`.
 * NODE is a name, an address or an ID.
 */
export function nodeRoutes(router: RouteTable, deps: ApiDeps): void {
  const { cluster, maintenance } = deps;
  /** Every node, by name, as `docker info` lists them. */
  const byName = () => cluster.all().toSorted((a, b) => compareText(a.name, b.name));
  router.get('skep.node.list', '/skep/nodes', (ctx) => answer(ctx, deps, byName().map(describe)));
  router.get('skep.node.inspect', '/skep/nodes/:node', (ctx) =>
    answer(ctx, deps, describe(cluster.findNode(ctx.params.node!))),
  );
  router.post('skep.node.update', '/skep/nodes/:node/update', async (ctx) => {
    const body = await readJsonObject(ctx);
    const unknown = Object.keys(body).filter(
      (k) => !['Availability', 'LabelAdd', 'LabelRm'].includes(k),
    );
    if (unknown.length > 0)
      throw new DockerError(
        400,
        `unknown field${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: Availability, LabelAdd, LabelRm)`,
      );
    const { Availability, LabelAdd, LabelRm } = body;
    if (Availability !== undefined && typeof Availability !== 'string')
      throw new DockerError(400, 'Availability must be a string: active, pause or drain');
    if (LabelAdd !== undefined && !isStringRecord(LabelAdd))
      throw new DockerError(400, 'LabelAdd must be an object of string values');
    if (
      LabelRm !== undefined &&
      !(Array.isArray(LabelRm) && LabelRm.every((k) => typeof k === 'string'))
    )
      throw new DockerError(400, 'LabelRm must be a list of label keys');
    const engine = await maintenance.update(ctx.params.node!, {
      availability: Availability,
      labelAdd: LabelAdd,
      labelRm: LabelRm as string[] | undefined,
    });
    await answer(ctx, deps, describe(engine));
  });

  // the docker CLI's `docker node ls`, `docker node inspect` and `docker node update`
  // (availability, labels)
  router.get('node.list', '/nodes', (ctx) =>
    answer(
      ctx,
      deps,
      byName().map((e) => swarmNode(e, maintenance.revision)),
    ),
  );
  router.get('node.inspect', '/nodes/:node', (ctx) =>
    answer(ctx, deps, swarmNode(cluster.findNode(ctx.params.node!), maintenance.revision)),
  );
  router.post('node.update', '/nodes/:node/update', async (ctx) => {
    const spec = await readJsonObject(ctx);
    const engine = cluster.findNode(ctx.params.node!);
    if (spec.Role !== undefined && spec.Role !== 'worker')
      throw new DockerError(
        400,
        `Skep's nodes have no swarm role to change (asked: ${String(spec.Role)}); ` +
          'only availability and labels can be updated',
      );
    if (spec.Availability !== undefined && typeof spec.Availability !== 'string')
      throw new DockerError(400, 'Availability must be a string: active, pause or drain');
    const labels = spec.Labels ?? {};
    if (!isStringRecord(labels))
      throw new DockerError(400, 'Labels must be an object of string values');
    // the CLI sends the whole spec back: its labels replace the Skep-side labels
    const labelRm = Object.keys(engine.maintenance.labels).filter((k) => !(k in labels));
    await maintenance.update(engine.addr, {
      availability: spec.Availability as string | undefined,
      labelAdd: labels,
      labelRm,
    });
    ctx.status = 200;
    ctx.body = '';
  });
  router.all('swarm-mode.nodes', '/nodes', notSwarmManager);
  router.all('swarm-mode.nodes', '/nodes/*rest', notSwarmManager);
}
