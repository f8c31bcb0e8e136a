import { randomBytes } from 'node:crypto';
import type { Engine } from '../../cluster/engine.js';
import { answer } from '../answer.js';
import { readJsonObject } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { parseFilters } from '../filters.js';
import {
  findFresh,
  keepResource,
  listRows,
  pinnedNode,
  resolveResource,
} from '../local-resources.js';
import { callEach, mergeAnswers, mergePrune, type NodeAnswer } from '../proxy/fan-out.js';
import { forwardBuffered, unreachable } from '../proxy/forward.js';
import { outgoingSearch, requestContext } from '../request-context.js';
import { readAt, volumePruneQuery } from '../../cluster/version-shims.js';
import { wantsEngineNames } from '../client-view.js';
import type { RouteTable } from '../route-index.js';

/** Volumes across the cluster: a local volume lives on one node and is listed as `node/name`. */
export function volumeRoutes(router: RouteTable, deps: ApiDeps): void {
  const { cluster } = deps;
  const ordered = () => cluster.healthyFirst();
  const volumes = (e: Engine) => e.volumes;
  /**
   * Not in the cache: every node's volumes read again first
   * (one just created elsewhere is then found). Missing: classic's words.
   */
  const find = (ref: string, missing = `No such volume: ${ref}`) =>
    findFresh(
      () => resolveResource(ordered(), volumes, 'Name', ref, missing, true),
      () => Promise.all(cluster.healthy().map((e) => e.refreshVolumes())),
    );
  const refreshAfter = (engine: Engine) => async (status: number) => {
    if (status < 300) await engine.refreshVolumes();
  };

  router.get('volume.list', '/volumes', (ctx) => {
    const filters = parseFilters(requestContext(ctx).query.filters, [
      'name',
      'driver',
      'label',
      'dangling',
      'node',
    ]);
    const rows = listRows(
      ordered(),
      volumes,
      (v, engine) => keepResource(v, filters, 'Name', engine),
      wantsEngineNames(requestContext(ctx)),
    );
    return answer(ctx, deps, { Volumes: rows, Warnings: null });
  });
  router.get('volume.inspect', '/volumes/*name', async (ctx) =>
    answer(ctx, deps, (await find(ctx.params.name!)).item),
  );

  // docker volume create, as classic did it: `node/name` on that node; otherwise on every healthy
  // node the filters keep (the label com.docker.swarm.whitelists or constraints pick nodes), under
  // one name (made here when none is given). An engine that has the volume answers with it.
  router.post('volume.create', '/volumes/create', async (ctx) => {
    const body = await readJsonObject(ctx);
    const wanted =
      typeof body.Name === 'string' && body.Name !== ''
        ? body.Name
        : randomBytes(32).toString('hex');
    const pinned = pinnedNode(cluster, wanted);
    if (pinned) {
      const { engine, name } = pinned;
      await forwardBuffered(ctx, deps, engine, 'volumes/create', {
        body: Buffer.from(JSON.stringify({ ...body, Name: name })),
        after: refreshAfter(engine),
      });
      return;
    }
    const labels = (body.Labels as Record<string, string>) ?? {};
    const created = await deps.placement.place(
      'volume',
      { config: { Image: '', Labels: labels }, query: {} },
      requestContext(ctx),
      {
        pick: (ranked) => ranked,
        call: async (engines) => {
          const answers = await callEach(
            ctx,
            engines,
            'volumes/create',
            Buffer.from(JSON.stringify({ ...body, Name: wanted })),
          );
          await Promise.all(engines.map((e) => e.refreshVolumes()));
          // answered with the copy an inspect of the name then finds
          // (the first node in the cluster's order)
          const order = ordered();
          answers.sort((a, b) => order.indexOf(a.engine) - order.indexOf(b.engine));
          return mergeAnswers<Record<string, unknown>>(answers, (bodies) => bodies[0]);
        },
      },
    );
    await answer(ctx, deps, created, 201);
  });

  // docker volume rm NAME: from every node that has it (classic's RemoveVolumes);
  // `node/name` from that node
  router.delete('volume.delete', '/volumes/*name', async (ctx) => {
    const { engine, item } = await find(ctx.params.name!, `No such volume ${ctx.params.name}`);
    const name = String(item.Name);
    const holders =
      ctx.params.name === name
        ? cluster.healthy().filter((e) => e.volumes.some((v) => v.Name === name))
        : [];
    if (holders.length <= 1) {
      await forwardBuffered(ctx, deps, engine, `volumes/${name}`, { after: refreshAfter(engine) });
      return;
    }
    const answers = await callEach(ctx, holders, `volumes/${name}`);
    await Promise.all(holders.map((e) => e.refreshVolumes()));
    mergeAnswers(answers, () => undefined);
    ctx.status = 204;
  });

  // docker volume prune: every healthy node, read at the client's API version
  // (1.42 made it anonymous volumes only)
  router.post('volume.prune', '/volumes/prune', async (ctx) => {
    const engines = cluster.healthy();
    const version = requestContext(ctx).apiVersion;
    const answers = await Promise.all(
      engines.map(async (engine) => {
        const { client, sent } = readAt(version, cluster.apiVersions().max, engine.version);
        const { search, anonymousOnly } = volumePruneQuery(outgoingSearch(ctx), client, sent);
        return anonymousOnly
          ? pruneAnonymous(engine, search)
          : (await callEach(ctx, [engine], 'volumes/prune', undefined, search))[0]!;
      }),
    );
    await Promise.all(engines.map((e) => e.refreshVolumes()));
    await answer(ctx, deps, mergePrune(answers, 'VolumesDeleted'));
  });

  /**
   * Today's prune (anonymous volumes only) on an engine older than API 1.42, whose own prune
   * removes named volumes too: its unused volumes with an anonymous volume's name (64 hex),
   * removed one by one.
   */
  const pruneAnonymous = async (engine: Engine, search: string): Promise<NodeAnswer> => {
    const filters = {
      ...(JSON.parse(new URLSearchParams(search).get('filters') || '{}') as object),
      dangling: ['true'],
    };
    try {
      const { Volumes } = await engine.json<{ Volumes: { Name: string }[] | null }>('volumes', {
        filters: JSON.stringify(filters),
      });
      const deleted: string[] = [];
      for (const { Name } of Volumes ?? []) {
        if (!/^[0-9a-f]{64}$/.test(Name)) continue;
        const res = await engine.request('DELETE', `volumes/${Name}`);
        if (res.status < 300) deleted.push(Name);
      }
      return {
        engine,
        status: 200,
        body: Buffer.from(JSON.stringify({ VolumesDeleted: deleted, SpaceReclaimed: 0 })),
      };
    } catch (err) {
      const error = unreachable(engine, err);
      return {
        engine,
        status: error.status,
        body: Buffer.from(JSON.stringify({ message: error.message })),
      };
    }
  };
}
