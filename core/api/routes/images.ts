import type { Context } from 'koa';
import type { ImageSummary } from '../../cluster/docker-types.js';
import type { Engine } from '../../cluster/engine.js';
import { DockerError } from '../../errors.js';
import { answer } from '../answer.js';
import type { ApiDeps } from '../deps.js';
import { labelsMatch, parseFilters } from '../filters.js';
import { imageMatchesRef } from '../../cluster/image-ref.js';
import { forwardBuffered, forwardStream, pathFor, unreachable } from '../proxy/forward.js';
import { callEach, mergeAnswers, mergePrune } from '../proxy/fan-out.js';
import { createImageEverywhere } from '../proxy/fan-out-pull.js';
import { outgoingSearch, requestContext } from '../request-context.js';
import { withNode } from '../row-node.js';
import { nodeView } from '../../cluster/node-view.js';
import { truthy } from '../../query-flag.js';
import type { RouteTable } from '../route-index.js';

// `node` comes with the image node-filter plugin (a documented Swarm API behaviour),
// which takes it out of the query.
const IMAGE_FILTERS = ['reference', 'dangling', 'label', 'before', 'since'] as const;

function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '.')}$`,
  );
}

/** Docker's `reference` filter: `name`, `name:tag`, with `*` globs. */
function referenceMatches(image: ImageSummary, wanted: string): boolean {
  const pattern = globToRegExp(wanted.includes(':') ? wanted : `${wanted}:*`);
  return (image.RepoTags ?? []).some((tag) => pattern.test(tag));
}

interface ImageRow {
  engine: Engine;
  image: ImageSummary;
}

/**
 * The list's parameters that change what an engine lists,
 * so the cache (one plain list per node) cannot answer.
 */
const LIVE_PARAMETERS = ['all', 'manifests', 'shared-size'] as const;

/**
 * Each node's image list asked of the engine: intermediate images too (`all=1`), each image's
 * manifests (`docker image ls --tree`, API 1.47), shared sizes.
 */
async function liveImages(
  ctx: Context,
  engines: Engine[],
  query: Record<string, string>,
): Promise<{ engine: Engine; images: ImageSummary[] }[]> {
  // the filters are applied here, across the cluster (a `before` image may be on another node)
  const search = new URLSearchParams(
    LIVE_PARAMETERS.flatMap((p) => (truthy(query[p]) ? [[p, '1']] : [])),
  ).toString();
  const answers = await callEach(ctx, engines, 'images/json', undefined, search);
  return mergeAnswers<ImageSummary[]>(answers, (lists) =>
    lists.map((images, i) => ({ engine: answers[i]!.engine, images: images ?? [] })),
  ) as { engine: Engine; images: ImageSummary[] }[];
}

/**
 * Classic's getImagesJSON: one row per image ID across the cluster,
 * its tags and digests merged without repeats.
 */
function mergeByImageId(rows: ImageSummary[]): ImageSummary[] {
  const byId = new Map<string, ImageSummary>();
  for (const row of rows) {
    const seen = byId.get(row.Id);
    if (!seen) {
      byId.set(row.Id, { ...row });
      continue;
    }
    seen.RepoTags = [...new Set([...(seen.RepoTags ?? []), ...(row.RepoTags ?? [])])];
    seen.RepoDigests = [...new Set([...(seen.RepoDigests ?? []), ...(row.RepoDigests ?? [])])];
    // API 1.51 counts the containers using it (-1 before): on every node together
    const count = (n: unknown) => (typeof n === 'number' && n > 0 ? n : 0);
    if (typeof row.Containers === 'number' && row.Containers >= 0)
      seen.Containers = count(seen.Containers) + row.Containers;
    const manifests = row.Manifests as { ID?: string }[] | undefined;
    if (Array.isArray(manifests)) {
      const known = (seen.Manifests as { ID?: string }[] | undefined) ?? [];
      seen.Manifests = [...known, ...manifests.filter((m) => !known.some((k) => k.ID === m.ID))];
    }
  }
  return [...byId.values()];
}

/**
 * One row per image per node (plugins read the node with `nodeOf`),
 * filtered as an engine filters, newest first.
 */
function imageRows(
  lists: { engine: Engine; images: ImageSummary[] }[],
  query: Record<string, string>,
): ImageSummary[] {
  const engines = lists.map((l) => l.engine);
  const filters = parseFilters(query.filters, IMAGE_FILTERS);
  const rows: ImageRow[] = lists.flatMap(({ engine, images }) =>
    images.map((image) => ({ engine, image })),
  );
  // classic's words for a bad before/since or dangling (api/handlers.go getImagesJSON)
  const createdOf = (type: string, ref: string | undefined) => {
    if (!ref) return undefined;
    const found = rows.find((r) => imageMatchesRef(r.image, ref));
    if (!found)
      throw new DockerError(400, `Invalid filter: 'type'='${type}': no such image found: '${ref}'`);
    return found.image.Created;
  };
  const dangling = filters.get('dangling')?.[0];
  if (dangling !== undefined && dangling !== 'true' && dangling !== 'false')
    throw new DockerError(400, "Invalid filter: 'type'='dangling'");
  const before = createdOf('before', filters.get('before')?.[0]);
  const since = createdOf('since', filters.get('since')?.[0]);
  const views = new Map(engines.map((engine) => [engine, nodeView(engine)]));
  return rows
    .filter(({ image }) => {
      const references = filters.get('reference');
      if (references && !references.some((r) => referenceMatches(image, r))) return false;
      const isDangling = (image.RepoTags ?? []).every((t) => t === '<none>:<none>');
      if (dangling !== undefined && (dangling === 'true') !== isDangling) return false;
      const labels = filters.get('label');
      if (labels && !labelsMatch(image.Labels as Record<string, string> | null | undefined, labels))
        return false;
      if (before !== undefined && image.Created >= before) return false;
      if (since !== undefined && image.Created <= since) return false;
      return true;
    })
    .sort((a, b) => b.image.Created - a.image.Created || a.engine.name.localeCompare(b.engine.name))
    .map(({ engine, image }) => {
      // as an engine answers a reference filter: only the tags that matched
      const references = filters.get('reference');
      const tags = references
        ? (image.RepoTags ?? []).filter((tag) =>
            references.some((r) => referenceMatches({ ...image, RepoTags: [tag] }, r)),
          )
        : image.RepoTags;
      return withNode({ ...image, RepoTags: tags }, views.get(engine)!);
    });
}

export function imageRoutes(router: RouteTable, deps: ApiDeps): void {
  const { cluster } = deps;

  router.get('image.list', '/images/json', async (ctx) => {
    const query = requestContext(ctx).query;
    // intermediate images, manifests and shared sizes are not cached:
    // then every healthy node is asked
    const live = LIVE_PARAMETERS.some((p) => truthy(query[p]));
    const lists = live
      ? await liveImages(ctx, cluster.healthy(), query)
      : cluster.all().map((engine) => ({ engine, images: engine.images }));
    // the taps see one row per image per node (the node filter needs that);
    // the client one row per image, as classic
    await answer(ctx, deps, imageRows(lists, query), 200, (rows) =>
      JSON.stringify(mergeByImageId(rows as ImageSummary[])),
    );
  });

  // docker pull (and docker import): on every healthy node at once,
  // X-Registry-Auth passed down as the client sent it.
  router.post('image.create', '/images/create', (ctx) =>
    createImageEverywhere(ctx, cluster.healthy()),
  );

  const has = (engine: Engine, ref: string) => engine.images.some((i) => imageMatchesRef(i, ref));
  const anyHealthy = (): Engine => {
    const engine = cluster.healthy()[0];
    if (!engine) throw new DockerError(500, 'No healthy node available in the cluster');
    return engine;
  };
  /** The healthy nodes that have an image; Docker's 404 when none has. */
  const holders = (ref: string): Engine[] => {
    const found = cluster.healthy().filter((e) => has(e, ref));
    if (found.length === 0) throw new DockerError(404, `No such image: ${ref}`);
    return found;
  };

  // docker login: any healthy node checks the credentials with the registry.
  router.post('system.auth', '/auth', (ctx) => forwardBuffered(ctx, deps, anyHealthy(), 'auth'));

  const refreshed = (engines: Engine[]) => Promise.all(engines.map((e) => e.refreshImages()));

  // docker tag and docker rmi: on every node that has the image;
  // a failure on one node is reported, with where it worked.
  router.post('image.tag', '/images/*name/tag', async (ctx) => {
    const engines = holders(String(ctx.params.name));
    const answers = await callEach(ctx, engines, `images/${ctx.params.name}/tag`);
    await refreshed(engines);
    mergeAnswers(answers, () => undefined);
    ctx.status = 201;
  });
  router.delete('image.delete', '/images/*name', async (ctx) => {
    const engines = holders(String(ctx.params.name));
    const answers = await callEach(ctx, engines, `images/${ctx.params.name}`);
    await refreshed(engines);
    await answer(
      ctx,
      deps,
      mergeAnswers<unknown[]>(answers, (lists) => lists.flatMap((l) => l ?? [])),
    );
  });

  // docker push: from a node that has the image; the progress streams back.
  router.post('image.push', '/images/*name/push', (ctx) => {
    const tag = requestContext(ctx).query.tag;
    return forwardStream(
      ctx,
      holders(tag ? `${ctx.params.name}:${tag}` : String(ctx.params.name))[0]!,
      `images/${ctx.params.name}/push`,
    );
  });

  // docker save: from a node that has every named image.
  router.get('image.get', '/images/get', (ctx) => {
    const names = ([] as string[]).concat(ctx.query.names ?? []);
    const engine = cluster.healthy().find((e) => names.every((n) => has(e, n)));
    // classic's words (its %v of the names), so scripts that match them still do
    if (!engine)
      throw new DockerError(
        404,
        `Unable to find a healthy engine containing all images: [${names.join(' ')}]`,
      );
    return forwardStream(ctx, engine, 'images/get');
  });
  router.get('image.get', '/images/*name/get', (ctx) =>
    forwardStream(ctx, holders(String(ctx.params.name))[0]!, `images/${ctx.params.name}/get`),
  );

  // docker load: the archive to every healthy node, one progress stream back.
  router.post('image.load', '/images/load', (ctx) =>
    createImageEverywhere(ctx, cluster.healthy(), 'images/load'),
  );

  router.get('image.search', '/images/search', (ctx) =>
    forwardBuffered(ctx, deps, anyHealthy(), 'images/search'),
  );
  // what a registry says of an image (the CLI asks before some pulls): any healthy node can ask.
  router.get('image.distribution', '/distribution/*name/json', (ctx) =>
    forwardBuffered(ctx, deps, anyHealthy(), `distribution/${ctx.params.name}/json`),
  );

  // docker image prune: every healthy node, the space reclaimed summed.
  router.post('image.prune', '/images/prune', async (ctx) => {
    const engines = cluster.healthy();
    const answers = await callEach(ctx, engines, 'images/prune');
    await refreshed(engines);
    await answer(ctx, deps, mergePrune(answers, 'ImagesDeleted'));
  });

  /**
   * A healthy node that has the image. Not in the cache: the nodes' images are read again first
   * (an image just built, loaded, tagged or committed is then found: read your own writes);
   * failing that classic's 404 (an engine would match any ID prefix, `c2` too, where classic
   * asks for three characters).
   */
  const holder = async (ctx: Context): Promise<Engine> => {
    const name = String(ctx.params.name);
    const find = () => cluster.healthy().find((e) => has(e, name));
    const found = find() ?? (await refreshed(cluster.healthy()), find());
    if (!found) throw new DockerError(404, `No such image: ${name}`);
    return found;
  };
  router.get('image.history', '/images/*name/history', async (ctx) =>
    forwardBuffered(ctx, deps, await holder(ctx), `images/${ctx.params.name}/history`),
  );
  // one node's inspect, with the tags and digests the same image has on the other nodes
  // (docker images lists them all)
  router.get('image.inspect', '/images/*name/json', async (ctx) => {
    const engine = await holder(ctx);
    const res = await engine
      .request('GET', pathFor(ctx, engine, `images/${ctx.params.name}/json`), {
        search: outgoingSearch(ctx),
      })
      .catch((err: unknown) => {
        throw unreachable(engine, err);
      });
    if (res.status !== 200)
      return forwardBuffered(ctx, deps, engine, `images/${ctx.params.name}/json`);
    const inspect = JSON.parse(res.body.toString('utf8')) as ImageSummary;
    const same = cluster.all().flatMap((e) => e.images.filter((i) => i.Id === inspect.Id));
    const union = (mine: string[] | null | undefined, key: 'RepoTags' | 'RepoDigests') => [
      ...new Set([...(mine ?? []), ...same.flatMap((i) => i[key] ?? [])]),
    ];
    await answer(ctx, deps, {
      ...inspect,
      RepoTags: union(inspect.RepoTags, 'RepoTags'),
      RepoDigests: union(inspect.RepoDigests, 'RepoDigests'),
    });
  });
}
