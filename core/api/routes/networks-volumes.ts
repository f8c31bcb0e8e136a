import type Router from '@koa/router';
import type { Engine } from '../../cluster/engine.js';
import { badRequest, notFound } from '../../errors.js';
import { answer } from '../answer.js';
import type { ApiDeps } from '../deps.js';
import { readJsonObject } from '../body.js';
import { labelsMatch, parseFilters } from '../filters.js';
import { locateContainer } from '../locate.js';
import { forwardBuffered } from '../proxy/forward.js';
import { requestContext } from '../request-context.js';
import { withNode } from '../row-node.js';
import { nodeView } from '../../cluster/node-view.js';

type Obj = Record<string, unknown>;

const str = (value: unknown) => (typeof value === 'string' ? value : '');

/** Docker's list filters on networks and volumes that the cache can answer. */
function keep(item: Obj, filters: Map<string, string[]>, idKey: string): boolean {
  for (const [key, values] of filters) {
    const ok = key === 'label' ? labelsMatch(item.Labels as Record<string, string> | null | undefined, values) : values.some((v) => {
      switch (key) {
        case 'name': return str(item.Name).includes(v);
        case 'id': return str(item[idKey]).startsWith(v);
        case 'driver': return str(item.Driver) === v;
        case 'scope': return str(item.Scope) === v;
        default: return true;
      }
    });
    if (!ok) return false;
  }
  return true;
}

/** Finds one network or volume in the caches by ID, name or ID prefix, healthy nodes first. */
function findIn(engines: Engine[], pick: (e: Engine) => Obj[], idKey: string, ref: string): Obj | undefined {
  const items = engines.flatMap(pick);
  return (
    items.find((i) => str(i[idKey]) === ref) ??
    items.find((i) => str(i.Name) === ref) ??
    items.find((i) => idKey === 'Id' && str(i.Id).startsWith(ref))
  );
}

/** Networks and volumes merged across nodes, answered from the cache. */
export function networkVolumeRoutes(router: Router, deps: ApiDeps): void {
  const { cluster } = deps;
  const ordered = () => [...cluster.healthy(), ...cluster.all().filter((e) => e.health !== 'healthy')];

  /** Every node's rows, each remembering its node (plugins read it with `nodeOf`). */
  const rowsOf = <T extends object>(rows: (engine: Engine) => T[]) =>
    ordered().flatMap((engine) => {
      const node = nodeView(engine);
      return rows(engine).map((row) => withNode({ ...row }, node));
    });

  router.get('network.list', '/networks', (ctx) => {
    const filters = parseFilters(requestContext(ctx).query.filters, ['name', 'id', 'driver', 'scope', 'label']);
    return answer(ctx, deps, rowsOf((e) => e.networks).filter((n) => keep(n, filters, 'Id')));
  });
  router.get('network.inspect', '/networks/:id', (ctx) => {
    const network = findIn(ordered(), (e) => e.networks, 'Id', ctx.params.id!);
    if (!network) throw notFound(`network ${ctx.params.id} not found`);
    return answer(ctx, deps, network);
  });

  // connect/disconnect act on a container: they go to its node, which resolves the network by its own name or ID.
  for (const action of ['connect', 'disconnect'] as const) {
    router.post(`network.${action}`, `/networks/:id/${action}`, async (ctx) => {
      const body = await readJsonObject(ctx);
      if (typeof body.Container !== 'string' || body.Container === '') throw badRequest('a container is required (the "Container" field)');
      const located = locateContainer(cluster, body.Container);
      body.Container = located.container.summary.Id;
      await forwardBuffered(ctx, deps, located.engine, `networks/${ctx.params.id}/${action}`, {
        body: Buffer.from(JSON.stringify(body)),
        after: async (status) => {
          if (status >= 300) return;
          await Promise.all([located.engine.refreshContainer(located.container.summary.Id), located.engine.refreshNetworks()]);
        },
      });
    });
  }

  router.get('volume.list', '/volumes', (ctx) => {
    const filters = parseFilters(requestContext(ctx).query.filters, ['name', 'driver', 'label']);
    return answer(ctx, deps, { Volumes: rowsOf((e) => e.volumes).filter((v) => keep(v, filters, 'Name')), Warnings: null });
  });
  router.get('volume.inspect', '/volumes/:name', (ctx) => {
    const volume = findIn(ordered(), (e) => e.volumes, 'Name', ctx.params.name!);
    if (!volume) throw notFound(`get ${ctx.params.name}: no such volume`);
    return answer(ctx, deps, volume);
  });
}
