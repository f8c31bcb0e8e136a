import type Router from '@koa/router';
import type { Context } from 'koa';
import os from 'node:os';
import type { DockerEvent } from '../../cluster/docker-types.js';
import type { Engine } from '../../cluster/engine.js';
import { SWARM_VERSION, SKEP_VERSION } from '../../version.js';
import type { ApiDeps } from '../deps.js';
import { answer } from '../answer.js';
import { clusterInfo } from '../info.js';

export function systemRoutes(router: Router, deps: ApiDeps): void {
  const { cluster, config } = deps;

  // HEAD too: the Go client pings with HEAD first to negotiate the API version.
  const ping = (ctx: Context) => {
    ctx.set('Cache-Control', 'no-cache, no-store, must-revalidate');
    ctx.set('Pragma', 'no-cache');
    ctx.type = 'text/plain; charset=utf-8';
    ctx.body = ctx.method === 'HEAD' ? '' : 'OK';
  };
  router.get('/_ping', ping);
  router.head('/_ping', ping);

  router.get('/version', async (ctx) => {
    const versions = cluster.apiVersions();
    await answer(ctx, deps, 'system.version', {
      Platform: { Name: 'Docker Swarm (Skep)' },
      Components: [{ Name: 'Skep', Version: SKEP_VERSION, Details: { ApiVersion: versions.max, MinAPIVersion: versions.min } }],
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

  router.get('/info', (ctx) => answer(ctx, deps, 'system.info', clusterInfo(cluster, config)));

  // The merged event stream of every node, live. Each event keeps the engine's shape.
  router.get('/events', (ctx) => {
    const until = ctx.query.until ? Number(ctx.query.until) * 1000 : undefined;
    ctx.status = 200;
    ctx.type = 'application/json';
    ctx.respond = false;
    ctx.res.flushHeaders();
    const onEvent = (_engine: Engine, event: DockerEvent) => ctx.res.write(JSON.stringify(event) + '\n');
    cluster.on('event', onEvent);
    const stop = () => {
      cluster.off('event', onEvent);
      clearTimeout(timer);
      ctx.res.end();
    };
    const timer = until !== undefined ? setTimeout(stop, Math.max(0, until - Date.now())) : undefined;
    ctx.res.once('close', stop);
  });
}
