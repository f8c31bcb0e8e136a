import type { Context } from 'koa';
import type net from 'node:net';
import type { Engine } from '../../cluster/engine.js';
import { BuildSessions } from '../buildkit/build-sessions.js';
import { GrpcConnection } from '../buildkit/grpc-connection.js';
import { relayHijack } from '../proxy/hijack.js';
import { isUpgrade, takeUpgrade } from '../upgrades.js';
import { answer } from '../answer.js';
import { callEach, mergePrune } from '../proxy/fan-out.js';
import { DockerError } from '../../errors.js';
import type { ApiDeps } from '../deps.js';
import { forwardBuffered, forwardStream } from '../proxy/forward.js';
import { requestContext } from '../request-context.js';
import type { RouteTable } from '../route-index.js';

const SWARM_PREFIXES = ['constraint:', 'affinity:'];
/**
 * How long a context upload waits for its build to be placed
 * (the engine itself waits 5 s for the pair).
 */
const WAIT_FOR_BUILD_MS = 30_000;
/**
 * How long a BuildKit session waits for a build that names it;
 * a client closes an unused one when it is done.
 */
const WAIT_FOR_SESSION_USE_MS = 10 * 60_000;

/**
 * `--build-arg constraint:node==node1` arrives as `{"constraint:node": "=node1"}`: the expression
 * back as the `constraint:`/`affinity:` environment entries placement reads,
 * and the other build args for the engine.
 */
export function splitBuildArgs(raw: string | undefined): {
  env: string[];
  rest: Record<string, string | null>;
} {
  let args: Record<string, string | null> = {};
  try {
    args = raw ? (JSON.parse(raw) as Record<string, string | null>) : {};
  } catch {
    throw new DockerError(400, `invalid buildargs: ${raw}`);
  }
  const env: string[] = [];
  const rest: Record<string, string | null> = {};
  for (const [key, value] of Object.entries(args)) {
    if (SWARM_PREFIXES.some((p) => key.startsWith(p)))
      env.push(value === null || value === '' ? key : `${key}=${value}`);
    else rest[key] = value;
  }
  return { env, rest };
}

/**
 * docker build: the scheduler picks the node (constraints and affinities given as build args,
 * memory and CPU reservations from the query), the context streams to it,
 * the output streams back.
 */
export function buildRoutes(router: RouteTable, deps: ApiDeps): void {
  const sessions = new BuildSessions();
  // docker builder prune: every healthy node, as the other prunes
  router.post('image.build-prune', '/build/prune', async (ctx) => {
    const engines = deps.cluster.healthy();
    await answer(
      ctx,
      deps,
      mergePrune(await callEach(ctx, engines, 'build/prune'), 'CachesDeleted'),
    );
  });

  router.post('image.build', '/build', async (ctx) => {
    const context = requestContext(ctx);
    const { env, rest } = splitBuildArgs(context.query.buildargs);
    const HostConfig = {
      Memory: Number(context.query.memory ?? 0) || 0,
      CpuShares: Number(context.query.cpushares ?? 0) || 0,
    };
    const search = new URLSearchParams(ctx.querystring);
    if (env.length > 0) search.set('buildargs', JSON.stringify(rest));
    const send = (engine: Engine) =>
      forwardStream(ctx, engine, 'build', {
        search: search.toString(),
        headersTimeoutMs: false,
        after: () => engine.refreshImages(),
      });
    // BuildKit through the legacy route (the 20.10 CLI):
    // a context sent as a tar upload goes where its build went
    const { session, buildid = '' } = context.query;
    const upload = /^upload-request:(.+)$/.exec(buildid)?.[1];
    if (upload) return void (await send(await builtOn(upload, ctx)));
    // the build's --memory and --cpu-shares are held on its node until the image it made is in
    // the cache; its BuildKit session and build ID are bound to that node, so the session, the
    // upload and a cancel follow it
    await deps.placement.place(
      'build',
      { config: { Image: '', Env: env, HostConfig }, query: {} },
      context,
      {
        call: ([engine]) => {
          if (session) sessions.sessions.bind(session, engine!);
          if (buildid) sessions.builds.bind(buildid, engine!);
          return send(engine!);
        },
        settled: ({ settled }) => settled,
      },
    );
  });

  /**
   * The node a build (by its ID) went to, once it is placed; the first healthy one if it never is.
   */
  const builtOn = async (buildid: string, ctx: Context): Promise<Engine> => {
    const gone = new AbortController();
    ctx.req.socket.once('close', () => gone.abort());
    const engine = await sessions.builds.wait(buildid, WAIT_FOR_BUILD_MS, gone.signal);
    return engine ?? firstHealthy();
  };
  const firstHealthy = () => {
    const engine = deps.cluster.healthy()[0];
    if (!engine) throw new DockerError(503, 'No healthy node available in the cluster');
    return engine;
  };

  // A BuildKit build cancelled (the 20.10 CLI's Ctrl-C): the node that runs it
  router.post('image.build-cancel', '/build/cancel', async (ctx) => {
    const id = String(ctx.query.id ?? '');
    await forwardBuffered(ctx, deps, sessions.builds.get(id) ?? firstHealthy(), 'build/cancel');
  });

  // BuildKit's session (HTTP/2 over the upgraded connection, the engine speaking first):
  // it goes where the build that names it was placed, once it is; the session may come first,
  // and waits for it
  router.post('image.build-session', '/session', async (ctx) => {
    const id = ctx.get('X-Docker-Expose-Session-Uuid');
    if (!isUpgrade(ctx.req)) throw new DockerError(400, 'no upgrade proto in request');
    if (!id) throw new DockerError(400, 'no session ID in request');
    const gone = new AbortController();
    ctx.req.socket.once('close', () => gone.abort());
    const engine =
      (await sessions.sessions.wait(id, WAIT_FOR_SESSION_USE_MS, gone.signal)) ?? firstHealthy();
    if (gone.signal.aborted) return void (ctx.respond = false);
    relayHijack(ctx, engine, 'session', deps.logger);
  });

  // BuildKit's API (HTTP/2 over the upgraded connection): buildx's docker driver, `docker build`
  // of today's CLI, compose's builds. The manager speaks HTTP/2 with the client and sends each
  // call to its engine.
  router.post('image.build-grpc', '/grpc', (ctx) => {
    const proto = ctx.get('Upgrade');
    if (!proto) throw new DockerError(400, 'no upgrade proto in request');
    if (proto.toLowerCase() !== 'h2c')
      throw new DockerError(400, `protocol ${proto} not supported`);
    const upgrade = takeUpgrade(ctx.req);
    if (!upgrade) throw new DockerError(400, 'no upgrade proto in request');
    ctx.respond = false;
    const socket = upgrade.socket as net.Socket;
    ctx.res.detachSocket(socket);
    socket.setNoDelay(true);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n');
    if (upgrade.head.length > 0) socket.unshift(upgrade.head);
    const context = requestContext(ctx);
    new GrpcConnection(socket, {
      cluster: deps.cluster,
      sessions,
      logger: deps.logger,
      placeBuild: (expressions, run) =>
        deps.placement.place<{ done: Promise<void> }>(
          'build',
          { config: { Image: '', Env: expressions, HostConfig: {} }, query: {} },
          context,
          {
            // the placement holds until the build's call is over
            call: async ([engine]) => ({ done: run(engine!) }),
            settled: ({ done }) => done,
          },
        ),
    });
  });
}
