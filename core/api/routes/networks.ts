import type { Engine } from '../../cluster/engine.js';
import { badRequest, conflict } from '../../errors.js';
import { answer } from '../answer.js';
import { readJsonObject } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { parseFilters } from '../filters.js';
import {
  findFresh,
  keepResource,
  listRows,
  pinnedNode,
  projectFirst,
  resolveResource,
} from '../local-resources.js';
import { locateContainer } from '../locate.js';
import { callEach, mergePrune } from '../proxy/fan-out.js';
import { forwardBuffered } from '../proxy/forward.js';
import { requestContext } from '../request-context.js';
import { wantsEngineNames } from '../client-view.js';
import type { RouteTable } from '../route-index.js';

/** Networks across the cluster: a local network lives on one node and is listed as `node/name`. */
export function networkRoutes(router: RouteTable, deps: ApiDeps): void {
  const { cluster } = deps;
  const ordered = () => cluster.healthyFirst();
  const networks = (e: Engine) => e.networks;
  /**
   * Not in the cache: every node's networks read again first
   * (one just created elsewhere is then found). Missing: classic's words, which differ by route
   * (`No such network: X` on inspect, `No such network X` on delete).
   */
  const find = (ref: string, missing = `No such network: ${ref}`) =>
    findFresh(
      () => resolveResource(ordered(), networks, 'Id', ref, missing),
      () => Promise.all(cluster.healthy().map((e) => e.refreshNetworks())),
    );

  router.get('network.list', '/networks', (ctx) => {
    const filters = parseFilters(requestContext(ctx).query.filters, [
      'name',
      'id',
      'driver',
      'scope',
      'label',
      'type',
      'dangling',
      'node',
    ]);
    // classic's words (api/handlers.go getNetworks)
    for (const type of filters.get('type') ?? [])
      if (type !== 'custom' && type !== 'builtin')
        throw badRequest(`Invalid filter: 'type'='${type}'`);
    return answer(
      ctx,
      deps,
      listRows(
        ordered(),
        networks,
        (n, engine) => keepResource(n, filters, 'Id', engine),
        wantsEngineNames(requestContext(ctx)),
      ),
    );
  });
  // inspect asks the engine: only its inspect lists the containers attached
  // (the cached list has none)
  router.get('network.inspect', '/networks/*id', async (ctx) => {
    const { engine, item } = await find(ctx.params.id!);
    const live = await engine.json<Record<string, unknown>>(
      `networks/${String(item.Id)}`,
      requestContext(ctx).query,
    );
    await answer(ctx, deps, live);
  });

  // docker network create: on the node named (`node/name`), else one placement picks.
  // Names stay unique.
  router.post('network.create', '/networks/create', async (ctx) => {
    const body = await readJsonObject(ctx);
    if (typeof body.Name !== 'string' || body.Name === '')
      throw badRequest('a network name is required (the "Name" field)');
    const labels = body.Labels as Record<string, string> | undefined;
    const pinned = pinnedNode(cluster, body.Name);
    const create = async (engine: Engine, name: string) => {
      // Unique across the cluster, so the plain name finds it;
      // `node/name` may repeat a name another node has.
      // CheckDuplicate: false asks for a duplicate name, and the engine makes one.
      const taken =
        body.CheckDuplicate === false
          ? undefined
          : cluster
              .all()
              .find((e) => (!pinned || e === engine) && e.networks.some((n) => n.Name === name));
      if (taken)
        throw conflict(
          `network with name ${name} already exists${taken === engine ? '' : ` (on ${taken.name})`}`,
        );
      await forwardBuffered(ctx, deps, engine, 'networks/create', {
        body: Buffer.from(JSON.stringify({ ...body, Name: name })),
        after: async (status) => {
          if (status < 300) await engine.refreshNetworks();
        },
      });
    };
    if (pinned) return create(pinned.engine, pinned.name);
    const name = body.Name;
    await deps.placement.place(
      'network',
      { config: { Image: '', Labels: labels ?? {} }, query: {} },
      requestContext(ctx),
      { pick: projectFirst(labels), call: ([engine]) => create(engine!, name) },
    );
  });

  router.delete('network.delete', '/networks/*id', async (ctx) => {
    const { engine, item } = await find(ctx.params.id!, `No such network ${ctx.params.id}`);
    await forwardBuffered(ctx, deps, engine, `networks/${String(item.Id)}`, {
      after: async (status) => {
        if (status < 300) await engine.refreshNetworks();
      },
    });
  });

  router.post('network.prune', '/networks/prune', async (ctx) => {
    const engines = cluster.healthy();
    const answers = await callEach(ctx, engines, 'networks/prune');
    await Promise.all(engines.map((e) => e.refreshNetworks()));
    await answer(ctx, deps, mergePrune(answers, 'NetworksDeleted', false));
  });

  // connect/disconnect act on a container: they go to its node,
  // with the network as that node knows it.
  for (const action of ['connect', 'disconnect'] as const) {
    router.post(`network.${action}`, `/networks/*id/${action}`, async (ctx) => {
      const body = await readJsonObject(ctx);
      if (typeof body.Container !== 'string' || body.Container === '')
        throw badRequest('a container is required (the "Container" field)');
      const located = locateContainer(cluster, body.Container);
      body.Container = located.container.summary.Id;
      const ref = ctx.params.id!;
      const network = ref.startsWith(`${located.engine.name}/`)
        ? ref.slice(located.engine.name.length + 1)
        : ref;
      await forwardBuffered(ctx, deps, located.engine, `networks/${network}/${action}`, {
        body: Buffer.from(JSON.stringify(body)),
        after: async (status) => {
          if (status >= 300) return;
          await Promise.all([
            located.engine.refreshContainer(located.container.summary.Id),
            located.engine.refreshNetworks(),
          ]);
        },
      });
    });
  }
}
