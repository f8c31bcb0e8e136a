import Koa from 'koa';
import { compareVersions, SKEP_MIN_API_VERSION } from '../cluster/api-version.js';
import { DockerError } from '../errors.js';
import { SWARM_VERSION } from '../version.js';
import type { ApiDeps, SkepState } from './deps.js';
import { requestStage } from './request-stage.js';
import { requestLog } from './request-log.js';
import { nodeRoutes } from './routes/nodes.js';
import { containerRoutes } from './routes/containers.js';
import { execRoutes } from './routes/exec.js';
import { imageRoutes } from './routes/images.js';
import { buildRoutes } from './routes/build.js';
import { placementRoutes } from './routes/placement.js';
import { networkRoutes } from './routes/networks.js';
import { volumeRoutes } from './routes/volumes.js';
import { systemRoutes } from './routes/system.js';
import { RouteIndex } from './route-index.js';

const VERSIONED_PATH = /^\/v(\d+\.\d+)(\/.*)$/;

/** The Docker API as one Koa app: errors in Docker's shape, version prefixes, then the routes. */
export function createApp(deps: ApiDeps): Koa<SkepState> {
  const app = new Koa<SkepState>();
  const { logger, cluster, config } = deps;
  // Errors while a streamed answer flows. A client that leaves early is normal
  // (`docker run -d` drops its `/wait`).
  app.on('error', (err: NodeJS.ErrnoException, ctx?: { method: string; path: string }) => {
    if (
      err.code === 'ERR_STREAM_PREMATURE_CLOSE' ||
      err.code === 'ECONNRESET' ||
      err.code === 'EPIPE'
    )
      return;
    logger.error(`${ctx ? `${ctx.method} ${ctx.path}: ` : ''}${err.message}`);
  });

  app.use(requestLog(deps));

  // Errors: Docker's JSON shape with the status an engine would give.
  // Anything unexpected is Skep's 500.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (err) {
      const known = err instanceof DockerError;
      // the request log writes it, once: the stack when it was not Docker's kind of error
      ctx.state.failure = known ? err.message : ((err as Error).stack ?? String(err));
      ctx.state.failureLogged = known && err.logged;
      if (ctx.headerSent || !ctx.writable) {
        if (!known)
          logger.error(`${ctx.method} ${ctx.path}: ${ctx.state.failure}`, {
            request_id: ctx.state.requestId,
          });
        ctx.req.socket.destroy();
        return;
      }
      ctx.status = known ? err.status : 500;
      // Exactly this type: the Go client reads the message only when
      // Content-Type is plain application/json.
      ctx.set('Content-Type', 'application/json');
      ctx.body = { message: known ? err.message : `internal error: ${(err as Error).message}` };
    }
  });

  if (config.cors) {
    app.use(async (ctx, next) => {
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.set(
        'Access-Control-Allow-Headers',
        'Origin, X-Requested-With, Content-Type, Accept, X-Registry-Auth',
      );
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, DELETE, PUT, OPTIONS, HEAD');
      if (ctx.method === 'OPTIONS') {
        ctx.status = 200;
        return;
      }
      await next();
    });
  }

  // `/v1.41/...`: remember the version, route on the rest. Versions beyond the cluster's are
  // refused as an engine would; older ones down to Skep's own minimum are taken, and each engine
  // gets the nearest it accepts.
  app.use(async (ctx, next) => {
    const versions = cluster.apiVersions();
    ctx.set('Api-Version', versions.max);
    ctx.set('Docker-Experimental', String(config.experimental));
    ctx.set('Ostype', 'linux');
    ctx.set('Server', `Docker/${SWARM_VERSION} (linux)`);
    const m = VERSIONED_PATH.exec(ctx.path);
    if (m) {
      const [, version, rest] = m as unknown as [string, string, string];
      if (compareVersions(version, versions.max) > 0) {
        throw new DockerError(
          400,
          `client version ${version} is too new. Maximum supported API version is ${versions.max}`,
        );
      }
      if (compareVersions(version, SKEP_MIN_API_VERSION) < 0) {
        throw new DockerError(
          400,
          `client version ${version} is too old. ` +
            `Minimum supported API version is ${SKEP_MIN_API_VERSION}, please upgrade your client to a newer version`,
        );
      }
      ctx.state.apiVersion = version;
      ctx.path = rest;
    }
    ctx.state.logger = deps.logger;
    ctx.state.bodyTimeoutMs = config.clients.bodyTimeoutMs;
    await next();
  });

  const router = new RouteIndex([requestStage(deps)]);
  systemRoutes(router, deps);
  containerRoutes(router, deps);
  execRoutes(router, deps);
  imageRoutes(router, deps);
  networkRoutes(router, deps);
  volumeRoutes(router, deps);
  placementRoutes(router, deps);
  nodeRoutes(router, deps);
  buildRoutes(router, deps);
  app.use(router.routes());

  // Docker's answer to a route it does not serve.
  app.use((ctx) => {
    if (ctx.status === 404 && ctx.body === undefined && !ctx.headerSent && ctx.respond !== false) {
      ctx.status = 404;
      ctx.set('Content-Type', 'application/json');
      ctx.body = { message: 'page not found' };
    }
  });
  return app;
}
