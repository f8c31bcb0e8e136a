import type { Context } from 'koa';
import os from 'node:os';
import type { ClusterEvent } from '../../cluster/cluster.js';
import { SWARM_VERSION, SKEP_VERSION } from '../../version.js';
import type { ApiDeps } from '../deps.js';
import { DockerError } from '../../errors.js';
import { answer } from '../answer.js';
import { callEach, mergeAnswers } from '../proxy/fan-out.js';
import { eventMatcher, parseEventTime } from '../event-filter.js';
import { clusterInfo, infoJson, withRole } from '../info.js';
import { clientOfRequest } from '../forwarded-client.js';
import type { RouteTable } from '../route-index.js';

/** What an engine outside swarm mode answers about swarm mode's objects. */
export function notSwarmManager(): never {
  throw new DockerError(
    503,
    'This node is not a swarm manager. Skep is a classic swarm manager: ' +
      'swarm mode (services, nodes, secrets, configs) is not available through it.',
  );
}

export function systemRoutes(router: RouteTable, deps: ApiDeps): void {
  const { cluster, config } = deps;

  // HEAD too: the Go client pings with HEAD first to negotiate the API version.
  // `Builder-Version: 2` makes buildx use its docker driver (BuildKit over /grpc)
  // and the 20.10 CLI build with BuildKit; `Swarm: inactive` keeps today's CLI from offering
  // swarm mode's commands, as an engine outside swarm mode does.
  const ping = (ctx: Context) => {
    ctx.set('Cache-Control', 'no-cache, no-store, must-revalidate');
    ctx.set('Pragma', 'no-cache');
    const builder = cluster.builderVersion();
    if (builder) ctx.set('Builder-Version', builder);
    ctx.set('Swarm', 'inactive');
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = ctx.method === 'HEAD' ? '' : 'OK';
  };
  router.get('system.ping', '/_ping', ping);
  router.head('system.ping', '/_ping', ping);

  router.get('system.version', '/version', async (ctx) => {
    const versions = cluster.apiVersions();
    await answer(ctx, deps, {
      Platform: { Name: 'Docker Swarm (Skep)' },
      Components: [
        {
          Name: 'Skep',
          Version: SKEP_VERSION,
          Details: { ApiVersion: versions.max, MinAPIVersion: versions.min },
        },
      ],
      Version: SWARM_VERSION,
      ApiVersion: versions.max,
      MinAPIVersion: versions.min,
      GitCommit: '',
      GoVersion: `node${process.versions.node}`,
      Os: 'linux',
      Arch: os.arch() === 'x64' ? 'amd64' : os.arch(),
      KernelVersion: os.release(),
      BuildTime: '',
    });
  });

  // docker system df: every healthy node's usage, summed;
  // each listed image, container and volume is one node's.
  router.get('system.df', '/system/df', async (ctx) => {
    const answers = await callEach(ctx, cluster.healthy(), 'system/df');
    type Df = {
      LayersSize?: number;
      Images?: unknown[] | null;
      Containers?: unknown[] | null;
      Volumes?: unknown[] | null;
      BuildCache?: unknown[] | null;
    };
    await answer(
      ctx,
      deps,
      mergeAnswers<Df>(answers, (all) => ({
        LayersSize: all.reduce((sum, d) => sum + (d?.LayersSize ?? 0), 0),
        Images: all.flatMap((d) => d?.Images ?? []),
        Containers: all.flatMap((d) => d?.Containers ?? []),
        Volumes: all.flatMap((d) => d?.Volumes ?? []),
        BuildCache: all.flatMap((d) => d?.BuildCache ?? []),
      })),
    );
  });

  // Swarm mode's objects: Skep fronts engines that are not in swarm mode,
  // and answers as such an engine does (`/nodes` is served in part, for `docker node ls` and
  // `docker node update`: see nodes.ts).
  for (const kind of ['swarm', 'services', 'tasks', 'secrets', 'configs']) {
    router.all(`swarm-mode.${kind}`, `/${kind}`, notSwarmManager);
    router.all(`swarm-mode.${kind}`, `/${kind}/*rest`, notSwarmManager);
  }

  router.get('system.info', '/info', async (ctx) => {
    // a replica shows the primary's view (its reservations count the creates under way there),
    // with its own role
    const primaryView =
      deps.forwarder && !deps.role.isPrimary()
        ? await deps.forwarder.primaryJson('/info', clientOfRequest(ctx.req))
        : undefined;
    if (primaryView && typeof primaryView === 'object') {
      ctx.set('Content-Type', 'application/json');
      ctx.body = withRole(primaryView, deps.role);
      return;
    }
    return answer(ctx, deps, clusterInfo(cluster, config, deps.role), 200, infoJson);
  });

  // The merged event stream of every node: what is remembered since `since`,
  // then live until `until`.
  router.get('system.events', '/events', (ctx) => {
    const matches = eventMatcher(ctx.query.filters as string | undefined);
    const since = parseEventTime(ctx.query.since as string | undefined, 'since');
    const until = parseEventTime(ctx.query.until as string | undefined, 'until');
    const wanted = ({ engine, event, timeNano }: ClusterEvent) =>
      (since === undefined || timeNano >= since) &&
      (until === undefined || timeNano <= until) &&
      matches(event, engine);
    ctx.status = 200;
    ctx.set('Content-Type', 'application/json');
    ctx.respond = false;
    ctx.res.flushHeaders();
    // each event as its engine wrote it
    const send = (clusterEvent: ClusterEvent) => {
      if (wanted(clusterEvent)) ctx.res.write(clusterEvent.raw + '\n');
    };
    if (since !== undefined) for (const clusterEvent of cluster.recentEvents()) send(clusterEvent);
    const untilMs = until === undefined ? undefined : Number(until / 1_000_000n);
    if (untilMs !== undefined && untilMs <= Date.now()) {
      ctx.res.end();
      return;
    }
    cluster.on('event', send);
    const timer =
      untilMs !== undefined ? setTimeout(() => ctx.res.end(), untilMs - Date.now()) : undefined;
    ctx.res.once('close', () => {
      cluster.off('event', send);
      clearTimeout(timer);
    });
  });
}
