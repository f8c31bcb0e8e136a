import http from 'node:http';
import type { Cluster } from '../cluster/cluster.js';
import type { Logger } from '../log.js';
import type { ManagerRole } from '../replication/role.js';
import type { ManagerMetrics } from './metrics.js';
import type { OperatorRequest, PluginRoutes } from './plugin-routes.js';
import { readiness } from './readiness.js';
import { parseListenAddress } from '../api/listen-address.js';
import { StatusFeed } from './status-feed.js';
import { STATUS_PAGE } from './status-page.js';

export interface OperatorDeps {
  cluster: Cluster;
  role: ManagerRole;
  metrics: ManagerMetrics;
  routes: PluginRoutes;
  logger: Logger;
  scheduling: { strategy: string; filters: string[] };
}

export interface OperatorListener {
  readonly address: string;
  close(): Promise<void>;
}

type Answer = { status: number; type: string; body: string | Buffer };

const text = (status: number, body: string): Answer => ({
  status,
  type: 'text/plain; charset=utf-8',
  body: body + '\n',
});
const json = (status: number, body: unknown): Answer => ({
  status,
  type: 'application/json',
  body: JSON.stringify(body),
});

/**
 * The operator listener (`--status-addr`): metrics, health checks, the status page and plugins'
 * routes, on an address of its own (never the Docker API's: a load balancer or Prometheus must
 * not reach the cluster's control). Plain node:http: a few fixed paths need no router, and
 * nothing here may slow the API.
 */
export async function listenOperator(
  address: string,
  deps: OperatorDeps,
): Promise<OperatorListener> {
  const { cluster, role, metrics, routes, logger } = deps;
  const feed = new StatusFeed(cluster, role, metrics.failures, deps.scheduling);
  const own: Record<
    string,
    (
      req: http.IncomingMessage,
      res: http.ServerResponse,
    ) => Promise<Answer | undefined> | Answer | undefined
  > = {
    '/healthz': () => text(200, 'ok'),
    '/readyz': () => {
      const state = readiness(cluster, role);
      return state.ready ? text(200, 'ready') : text(503, `not ready: ${state.reason}`);
    },
    '/metrics': async () => ({
      status: 200,
      type: metrics.registry.contentType,
      body: await metrics.registry.metrics(),
    }),
    '/': () => ({ status: 200, type: 'text/html; charset=utf-8', body: STATUS_PAGE }),
    '/status.json': () => json(200, feed.snapshot()),
    '/status/stream': (_req, res) => void feed.watch(res),
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://operator');
    const method = req.method ?? 'GET';
    const ownRoute = own[url.pathname];
    let answer: Answer | undefined;
    if (ownRoute) {
      answer =
        method === 'GET' || method === 'HEAD'
          ? await ownRoute(req, res)
          : json(405, { message: `${method} is not allowed on ${url.pathname}` });
    } else {
      const route = routes.routes.get(`${method} ${url.pathname}`);
      if (!route) answer = json(404, { message: 'page not found' });
      else {
        const request: OperatorRequest = {
          method,
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: req.headers,
        };
        try {
          const made = await route.handle(request);
          const body = made.body;
          answer =
            typeof body === 'string' || Buffer.isBuffer(body)
              ? { status: made.status ?? 200, type: made.type ?? 'text/plain; charset=utf-8', body }
              : json(made.status ?? 200, body);
        } catch (err) {
          logger.error(
            `plugin ${route.plugin}: operator route ${method} ${url.pathname} failed: ${(err as Error).stack ?? err}`,
            { plugin: route.plugin, route: url.pathname },
          );
          answer = json(500, {
            message: `plugin ${route.plugin} failed: ${(err as Error).message}`,
          });
        }
      }
    }
    if (!answer) return; // a stream, already answered
    res.writeHead(answer.status, {
      'Content-Type': answer.type,
      'Content-Length': Buffer.byteLength(answer.body),
      'Cache-Control': 'no-store',
    });
    res.end(method === 'HEAD' ? undefined : answer.body);
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: Error) => {
      logger.error(`operator listener: ${req.method} ${req.url}: ${err.stack ?? err}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `internal error: ${err.message}` }));
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  const listenOn = parseListenAddress(address);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (listenOn.kind === 'tcp') server.listen(listenOn.port, listenOn.host, () => resolve());
    else server.listen(listenOn.path, () => resolve());
  });
  server.removeAllListeners('error');
  server.on('error', (err) => logger.error(`operator listener ${address}: ${err.message}`));
  logger.info(`operator listener on http://${address} (/metrics, /healthz, /readyz, status page)`);
  return {
    address,
    close: () =>
      new Promise<void>((resolve) => {
        feed.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
