import type { Context } from 'koa';
import type { Located } from '../../cluster/container-index.js';
import { badRequest } from '../../errors.js';
import type { ContainerConfig } from '../../pipeline-types.js';
import { answer } from '../answer.js';
import { readJsonObject } from '../body.js';
import { checkCreateBody } from '../create-body.js';
import { CONTAINER_FILTERS, listContainers } from '../container-list.js';
import { parseFilters } from '../filters.js';
import { rowsJson } from '../container-rows.js';
import { locateContainer } from '../locate.js';
import type { ApiDeps } from '../deps.js';
import { headersForEngine } from '../headers.js';
import { forwardBuffered, forwardStream } from '../proxy/forward.js';
import { callEach, mergePrune } from '../proxy/fan-out.js';
import { outgoingSearch, requestContext } from '../request-context.js';
import { readAt, stopQuery } from '../../cluster/version-shims.js';
import { wantsEngineNames, withEngineNames } from '../client-view.js';
import { relayHijack } from '../proxy/hijack.js';
import { isUpgrade } from '../upgrades.js';
import { nodeView } from '../../cluster/node-view.js';
import { truthy } from '../../query-flag.js';
import { tapped } from '../../hooks.js';
import type { RouteTable } from '../route-index.js';

/**
 * Calls that change a container's state: after the engine answers, the cache re-reads it
 * before the client hears.
 */
const STATE_CHANGES = ['start', 'stop', 'restart', 'kill', 'pause', 'unpause', 'update'] as const;
/** Calls answered in one piece. */
const PLAIN_READS = ['top', 'changes', 'resize'] as const;
/** Calls whose answers stream: piped, never buffered whole. */
const STREAMS = ['logs', 'stats', 'export'] as const;

export function containerRoutes(router: RouteTable, deps: ApiDeps): void {
  const { cluster, logger, config } = deps;

  const locate = (ctx: Context): Located => locateContainer(cluster, String(ctx.params.name));
  const pathOf = (located: Located, action?: string) =>
    `containers/${located.container.summary.Id}${action ? `/${action}` : ''}`;
  const refreshAfter = (located: Located) => async (status: number) => {
    if (status < 300) await located.engine.refreshContainer(located.container.summary.Id);
  };

  const list = async (ctx: Context) => {
    const query = requestContext(ctx).query;
    await refreshFirst(query.filters);
    const rows = listContainers(cluster, deps.hooks, query);
    await answer(
      ctx,
      deps,
      wantsEngineNames(requestContext(ctx)) ? withEngineNames(rows) : rows,
      200,
      rowsJson,
    );
  };
  /**
   * Classic's cache bypasses: `--refresh-on-node-filter` re-reads the nodes a list filters on,
   * `--container-name-refresh-filter` every node.
   */
  const refreshFirst = async (raw: string | undefined) => {
    if (!raw || (!config.refreshOnNodeFilter && config.containerNameRefreshFilter === undefined))
      return;
    let filters: Map<string, string[]>;
    try {
      filters = parseFilters(raw, CONTAINER_FILTERS);
    } catch {
      return; // the list itself answers bad filters with Docker's 400
    }
    const nodes = config.refreshOnNodeFilter ? (filters.get('node') ?? []) : [];
    const everyNode =
      config.containerNameRefreshFilter !== undefined &&
      (filters.get('name') ?? []).includes(config.containerNameRefreshFilter);
    const engines = cluster
      .healthy()
      .filter((e) => everyNode || nodes.some((n) => n === e.name || n === e.id || n === e.addr));
    await Promise.all(engines.map((e) => e.refreshContainerList()));
  };
  router.get('container.list', '/containers/json', list);
  router.get('container.list', '/containers/ps', list);

  router.post('container.create', '/containers/create', async (ctx) => {
    const body = (await readJsonObject(ctx)) as ContainerConfig;
    checkCreateBody(body);
    // The engine reads only `name` and `platform` here;
    // some clients (dockerode) repeat the body's options in the query.
    const context = requestContext(ctx);
    const name = context.query.name;
    const query: Record<string, string> =
      context.query.platform !== undefined ? { platform: context.query.platform } : {};
    if (name !== undefined && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
      throw badRequest(
        `Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
      );
    }
    const created = await deps.containers.create(
      { name: name?.replace(/^\//, ''), config: body, query },
      context,
      headersForEngine(ctx.req.headers, false),
    );
    await answer(ctx, deps, { Id: created.id, Warnings: created.warnings }, 201);
  });

  router.get('container.inspect', '/containers/*name/json', async (ctx) => {
    const located = locate(ctx);
    await forwardBuffered(ctx, deps, located.engine, pathOf(located, 'json'));
  });

  /**
   * stop and restart wait up to `t` seconds (the container's StopTimeout, or 10) before killing;
   * -1 waits for ever.
   */
  const stopWaitMs = (ctx: Context, located: Located): number | false => {
    const t =
      ctx.query.t === undefined
        ? Number(located.container.inspect.Config?.StopTimeout ?? 10)
        : Number(ctx.query.t);
    if (t < 0) return false;
    return (Number.isFinite(t) ? t * 1000 : 10_000) + config.engine.requestTimeoutMs;
  };

  for (const action of STATE_CHANGES) {
    router.post(`container.${action}`, `/containers/*name/${action}`, async (ctx) => {
      const located = locate(ctx);
      // docker update: per-node values (CpuShares as cores) are set by the plugins, as on create
      const body =
        action === 'update' && tapped(deps.hooks.beforeEngineUpdate)
          ? Buffer.from(
              JSON.stringify(
                await deps.hooks.beforeEngineUpdate.promise(await readJsonObject(ctx), {
                  requestContext: requestContext(ctx),
                  node: nodeView(located.engine),
                }),
              ),
            )
          : undefined;
      const { client, sent } = readAt(
        requestContext(ctx).apiVersion,
        cluster.apiVersions().max,
        located.engine.version,
      );
      const stopping = action === 'stop' || action === 'restart';
      await forwardBuffered(ctx, deps, located.engine, pathOf(located, action), {
        body,
        search: stopping
          ? stopQuery(outgoingSearch(ctx), client, sent, located.engine.name)
          : undefined,
        after: refreshAfter(located),
        timeoutMs: action === 'stop' || action === 'restart' ? stopWaitMs(ctx, located) : undefined,
      });
    });
  }

  router.post('container.rename', '/containers/*name/rename', async (ctx) => {
    const located = locate(ctx);
    const wanted = String(ctx.query.name ?? '');
    if (!wanted) throw badRequest('Neither old nor new names may be empty');
    const release = cluster.reserveName(wanted);
    try {
      await forwardBuffered(ctx, deps, located.engine, pathOf(located, 'rename'), {
        after: refreshAfter(located),
      });
    } finally {
      release();
    }
  });

  for (const action of PLAIN_READS) {
    const method = action === 'resize' ? 'post' : 'get';
    router[method](`container.${action}`, `/containers/*name/${action}`, async (ctx) => {
      const located = locate(ctx);
      await forwardBuffered(ctx, deps, located.engine, pathOf(located, action));
    });
  }

  for (const action of STREAMS) {
    router.get(`container.${action}`, `/containers/*name/${action}`, async (ctx) => {
      const located = locate(ctx);
      await forwardStream(ctx, located.engine, pathOf(located, action));
    });
  }

  // docker cp: HEAD (stat) and GET read, PUT writes a tar stream.
  router.get('container.archive', '/containers/*name/archive', async (ctx) => {
    const located = locate(ctx);
    await forwardStream(ctx, located.engine, pathOf(located, 'archive'));
  });
  router.put('container.archive', '/containers/*name/archive', async (ctx) => {
    const located = locate(ctx);
    await forwardStream(ctx, located.engine, pathOf(located, 'archive'));
  });

  router.post('container.wait', '/containers/*name/wait', async (ctx) => {
    const located = locate(ctx);
    // Engines answer wait's headers at once only for API 1.30 and later;
    // older clients get them at exit.
    await forwardStream(ctx, located.engine, pathOf(located, 'wait'), {
      after: refreshAfter(located),
      headersTimeoutMs: false,
    });
  });

  const attach = async (ctx: Context) => {
    const located = locate(ctx);
    if (isUpgrade(ctx.req))
      relayHijack(
        ctx,
        located.engine,
        pathOf(located, ctx.path.endsWith('/ws') ? 'attach/ws' : 'attach'),
        logger,
      );
    else await forwardStream(ctx, located.engine, pathOf(located, 'attach'));
  };
  router.post('container.attach', '/containers/*name/attach', attach);
  router.get('container.attach', '/containers/*name/attach/ws', attach);

  router.post('container.exec', '/containers/*name/exec', async (ctx) => {
    const located = locate(ctx);
    await forwardBuffered(ctx, deps, located.engine, pathOf(located, 'exec'), {
      after: (status, body) => {
        if (status === 201)
          cluster.recordExec(
            (JSON.parse(body.toString('utf8')) as { Id: string }).Id,
            located.engine,
          );
      },
    });
  });

  // docker commit: on the container's node;
  // the new image shows in the cache before the client hears.
  router.post('container.commit', '/commit', async (ctx) => {
    const located = locateContainer(cluster, String(ctx.query.container ?? ''));
    const search = new URLSearchParams(ctx.querystring);
    search.set('container', located.container.summary.Id);
    await forwardBuffered(ctx, deps, located.engine, 'commit', {
      search: search.toString(),
      after: async (status) => {
        if (status < 300) await located.engine.refreshImages();
      },
    });
  });

  // docker container prune: every healthy node, the space reclaimed summed.
  router.post('container.prune', '/containers/prune', async (ctx) => {
    const engines = cluster.healthy();
    const answers = await callEach(ctx, engines, 'containers/prune');
    for (const { engine, status, body } of answers) {
      if (status < 300)
        for (const id of (
          JSON.parse(body.toString('utf8')) as { ContainersDeleted?: string[] | null }
        ).ContainersDeleted ?? [])
          engine.forgetContainer(id);
    }
    await answer(ctx, deps, mergePrune(answers, 'ContainersDeleted'));
  });

  router.delete('container.delete', '/containers/*name', async (ctx) => {
    // `docker rm --link /web/db`: the link `db` of the container `web`, removed by web's engine
    if (truthy(requestContext(ctx).query.link)) {
      const ref = String(ctx.params.name).replace(/^\//, '');
      const alias = ref.slice(ref.lastIndexOf('/') + 1);
      const parent = locateContainer(cluster, ref.slice(0, ref.lastIndexOf('/')));
      await forwardBuffered(
        ctx,
        deps,
        parent.engine,
        `containers/${parent.container.inspect.Name.replace(/^\//, '')}/${alias}`,
        {
          after: refreshAfter(parent),
        },
      );
      return;
    }
    const located = locate(ctx);
    const id = located.container.summary.Id;
    await forwardBuffered(ctx, deps, located.engine, pathOf(located), {
      after: (status) => {
        if (status < 300) located.engine.forgetContainer(id);
      },
    });
  });
}
