import type Router from '@koa/router';
import { answer } from '../answer.js';
import { callEach, mergePrune } from '../proxy/fan-out.js';
import { DockerError } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import { forwardStream } from '../proxy/forward.js';
import { requestContext } from '../request-context.js';

const SWARM_PREFIXES = ['constraint:', 'affinity:'];

/**
 * `--build-arg constraint:node==node1` arrives as `{"constraint:node": "=node1"}`: the expression back as the
 * `constraint:`/`affinity:` environment entries placement reads, and the other build args for the engine.
 */
export function splitBuildArgs(raw: string | undefined): { env: string[]; rest: Record<string, string | null> } {
  let args: Record<string, string | null> = {};
  try {
    args = raw ? (JSON.parse(raw) as Record<string, string | null>) : {};
  } catch {
    throw new DockerError(400, `invalid buildargs: ${raw}`);
  }
  const env: string[] = [];
  const rest: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(args)) {
    if (SWARM_PREFIXES.some((p) => key.startsWith(p))) env.push(value === null || value === '' ? key : `${key}=${value}`);
    else rest[key] = value;
  }
  return { env, rest };
}

/**
 * docker build: the scheduler picks the node (constraints and affinities given as build args, memory and CPU
 * reservations from the query), the context streams to it, the output streams back.
 */
export function buildRoutes(router: Router, deps: ApiDeps): void {
  // docker builder prune: every healthy node, as the other prunes
  router.post('image.build-prune', '/build/prune', async (ctx) => {
    const engines = deps.cluster.healthy();
    await answer(ctx, deps, mergePrune(await callEach(ctx, engines, 'build/prune'), 'CachesDeleted'));
  });

  router.post('image.build', '/build', async (ctx) => {
    const context = requestContext(ctx);
    const { env, rest } = splitBuildArgs(context.query.buildargs);
    const HostConfig = { Memory: Number(context.query.memory ?? 0) || 0, CpuShares: Number(context.query.cpushares ?? 0) || 0 };
    const search = new URLSearchParams(ctx.querystring);
    if (env.length > 0) search.set('buildargs', JSON.stringify(rest));
    // the build's --memory and --cpu-shares are held on its node until the image it made is in the cache
    await deps.placement.place('build', { config: { Image: '', Env: env, HostConfig }, query: {} }, context, {
      call: ([engine]) => forwardStream(ctx, engine!, 'build', { search: search.toString(), headersTimeoutMs: false, after: () => engine!.refreshImages() }),
      settled: ({ settled }) => settled,
    });
  });
}
