import type Router from '@koa/router';
import type { Context } from 'koa';
import type { ImageSummary } from '../../cluster/docker-types.js';
import type { Engine } from '../../cluster/engine.js';
import { DockerError } from '../../errors.js';
import { answer } from '../answer.js';
import type { ApiDeps } from '../deps.js';
import { labelsMatch, parseFilters } from '../filters.js';
import { imageMatchesRef } from '../image-ref.js';
import { forwardBuffered } from '../proxy/forward.js';

// `node` comes with the image node-filter plugin (a documented Swarm API behaviour).
const IMAGE_FILTERS = ['reference', 'dangling', 'label', 'before', 'since'] as const;

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '.')}$`);
}

/** Docker's `reference` filter: `name`, `name:tag`, with `*` globs. */
function referenceMatches(image: ImageSummary, wanted: string): boolean {
  const pattern = globToRegExp(wanted.includes(':') ? wanted : `${wanted}:*`);
  return (image.RepoTags ?? []).some((tag) => pattern.test(tag));
}

/** One row per image ID across the cluster, tags and digests merged, newest first (classic swarm's merge). */
function mergedImages(engines: Engine[], query: Record<string, string>): ImageSummary[] {
  const filters = parseFilters(query.filters, IMAGE_FILTERS);
  const byId = new Map<string, ImageSummary>();
  for (const engine of engines) {
    for (const image of engine.images) {
      const seen = byId.get(image.Id);
      if (!seen) {
        byId.set(image.Id, { ...image, RepoTags: [...(image.RepoTags ?? [])], RepoDigests: [...(image.RepoDigests ?? [])] });
        continue;
      }
      for (const key of ['RepoTags', 'RepoDigests'] as const) {
        for (const value of image[key] ?? []) if (!seen[key]!.includes(value)) seen[key]!.push(value);
      }
    }
  }
  const createdOf = (ref: string | undefined) => {
    if (!ref) return undefined;
    const image = [...byId.values()].find((i) => imageMatchesRef(i, ref));
    if (!image) throw new DockerError(404, `No such image: ${ref}`);
    return image.Created;
  };
  const before = createdOf(filters.get('before')?.[0]);
  const since = createdOf(filters.get('since')?.[0]);
  return [...byId.values()]
    .filter((image) => {
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
    .sort((a, b) => b.Created - a.Created);
}

export function imageRoutes(router: Router, deps: ApiDeps): void {
  const { cluster } = deps;

  router.get('/images/json', (ctx) => answer(ctx, deps, 'image.list', mergedImages(cluster.all(), ctx.query as Record<string, string>)));

  /** A healthy node that has the image; failing that any healthy node, so the engine gives its own 404. */
  const holder = (ctx: Context): Engine => {
    const ref = String(ctx.params.name);
    const healthy = cluster.healthy();
    const engine = healthy.find((e) => e.images.some((i) => imageMatchesRef(i, ref))) ?? healthy[0];
    if (!engine) throw new DockerError(500, 'No healthy node available in the cluster');
    return engine;
  };
  for (const action of ['json', 'history'] as const) {
    router.get(`/images/*name/${action}`, (ctx) => forwardBuffered(ctx, deps, holder(ctx), `images/${ctx.params.name}/${action}`));
  }
}
