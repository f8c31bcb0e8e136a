import type Router from '@koa/router';
import type { Engine } from '../../cluster/engine.js';
import { answer } from '../answer.js';
import { readJsonObject } from '../body.js';
import type { ApiDeps } from '../deps.js';
import { parseFilters } from '../filters.js';
import { chooseNode, keepResource, listRows, resolveResource } from '../local-resources.js';
import { callEach, mergePrune } from '../proxy/fan-out.js';
import { forwardBuffered } from '../proxy/forward.js';
import { requestContext } from '../request-context.js';

/** Volumes across the cluster: a local volume lives on one node and is listed as `node/name`. */
export function volumeRoutes(router: Router, deps: ApiDeps): void {
  const { cluster } = deps;
  const ordered = () => cluster.healthyFirst();
  const volumes = (e: Engine) => e.volumes;
  const find = (ref: string) => resolveResource(ordered(), volumes, 'Name', ref, `get ${ref}: no such volume`);
  const refreshAfter = (engine: Engine) => async (status: number) => {
    if (status < 300) await engine.refreshVolumes();
  };

  router.get('volume.list', '/volumes', (ctx) => {
    const filters = parseFilters(requestContext(ctx).query.filters, ['name', 'driver', 'label', 'dangling']);
    return answer(ctx, deps, { Volumes: listRows(ordered(), volumes).filter((v) => keepResource(v, filters, 'Name')), Warnings: null });
  });
  router.get('volume.inspect', '/volumes/*name', (ctx) => answer(ctx, deps, find(ctx.params.name!).item));

  // docker volume create: an existing name answers as the engine does (the volume it has); a new one goes to the
  // node named (`node/name`), else to one the scheduler picks.
  router.post('volume.create', '/volumes/create', async (ctx) => {
    const body = await readJsonObject(ctx);
    const wanted = typeof body.Name === 'string' ? body.Name : '';
    const existing = wanted ? ordered().find((e) => e.volumes.some((v) => v.Name === wanted || `${e.name}/${String(v.Name)}` === wanted)) : undefined;
    const { engine, name } = existing
      ? { engine: existing, name: wanted.startsWith(`${existing.name}/`) ? wanted.slice(existing.name.length + 1) : wanted }
      : await chooseNode(ctx, deps, wanted, body.Labels as Record<string, string> | undefined);
    await forwardBuffered(ctx, deps, engine, 'volumes/create', { body: Buffer.from(JSON.stringify({ ...body, Name: name })), after: refreshAfter(engine) });
  });

  router.delete('volume.delete', '/volumes/*name', async (ctx) => {
    const { engine, item } = find(ctx.params.name!);
    await forwardBuffered(ctx, deps, engine, `volumes/${String(item.Name)}`, { after: refreshAfter(engine) });
  });

  router.post('volume.prune', '/volumes/prune', async (ctx) => {
    const engines = cluster.healthy();
    const answers = await callEach(ctx, engines, 'volumes/prune');
    await Promise.all(engines.map((e) => e.refreshVolumes()));
    await answer(ctx, deps, mergePrune(answers, 'VolumesDeleted'));
  });
}
