import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ImageSummary } from '../../cluster/docker-types.js';
import type { Engine } from '../../cluster/engine.js';
import { DockerError } from '../../errors.js';
import { answer } from '../answer.js';
import type { ApiDeps } from '../deps.js';
import { labelsMatch, parseFilters } from '../filters.js';
import { imageMatchesRef } from '../../cluster/image-ref.js';
import { forwardBuffered } from '../proxy/forward.js';
import { createImageEverywhere } from '../proxy/fan-out-pull.js';
import { requestContext } from '../request-context.js';
import { withNode } from '../row-node.js';
import { nodeView } from '../../cluster/node-view.js';

// `node` comes with the image node-filter plugin (a documented Swarm API behaviour), which takes it out of the query.
const IMAGE_FILTERS = ['reference', 'dangling', 'label', 'before', 'since'] as const;

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
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

/** One row per image per node (plugins read the node with `nodeOf`), filtered as an engine filters, newest first. */
function imageRows(engines: Engine[], query: Record<string, string>): ImageSummary[] {
  const filters = parseFilters(query.filters, IMAGE_FILTERS);
  const rows: ImageRow[] = engines.flatMap((engine) => engine.images.map((image) => ({ engine, image })));
  const createdOf = (ref: string | undefined) => {
    if (!ref) return undefined;
    const found = rows.find((r) => imageMatchesRef(r.image, ref));
    if (!found) throw new DockerError(404, `No such image: ${ref}`);
    return found.image.Created;
  };
  const before = createdOf(filters.get('before')?.[0]);
  const since = createdOf(filters.get('since')?.[0]);
  const views = new Map(engines.map((engine) => [engine, nodeView(engine)]));
  return rows
    .filter(({ image }) => {
      const references = filters.get('reference');
      if (references && !references.some((r) => referenceMatches(image, r))) return false;
      const dangling = filters.get('dangling')?.[0];
      const isDangling = (image.RepoTags ?? []).every((t) => t === '<none>:<none>');
      if (dangling !== undefined && (dangling === 'true' || dangling === '1') !== isDangling) return false;
      const labels = filters.get('label');
      if (labels && !labelsMatch(image.Labels as Record<string, string> | null | undefined, labels)) return false;
      if (before !== undefined && image.Created >= before) return false;
      if (since !== undefined && image.Created <= since) return false;
      return true;
    })
    .sort((a, b) => b.image.Created - a.image.Created || a.engine.name.localeCompare(b.engine.name))
    .map(({ engine, image }) => withNode({ ...image }, views.get(engine)!));
}

export function imageRoutes(router: Router, deps: ApiDeps): void {
  const { cluster } = deps;

  router.get('image.list', '/images/json', (ctx) => answer(ctx, deps, imageRows(cluster.all(), requestContext(ctx).query)));

  // docker pull (and docker import): on every healthy node at once, X-Registry-Auth passed down as the client sent it.
  router.post('image.create', '/images/create', (ctx) => createImageEverywhere(ctx, cluster.healthy()));

  // docker login: any healthy node checks the credentials with the registry.
  router.post('system.auth', '/auth', (ctx) => {
    const engine = cluster.healthy()[0];
    if (!engine) throw new DockerError(500, 'No healthy node available in the cluster');
    return forwardBuffered(ctx, deps, engine, 'auth');
  });

  /** A healthy node that has the image; failing that any healthy node, so the engine gives its own 404. */
  const holder = (ctx: Context): Engine => {
    const ref = String(ctx.params.name);
    const healthy = cluster.healthy();
    const engine = healthy.find((e) => e.images.some((i) => imageMatchesRef(i, ref))) ?? healthy[0];
    if (!engine) throw new DockerError(500, 'No healthy node available in the cluster');
    return engine;
  };
  for (const action of ['json', 'history'] as const) {
    router.get(`image.${action === 'json' ? 'inspect' : action}`, `/images/*name/${action}`, (ctx) => forwardBuffered(ctx, deps, holder(ctx), `images/${ctx.params.name}/${action}`));
  }
}
