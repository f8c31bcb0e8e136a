import type { ContainerConfig } from '../../pipeline-types.js';
import { answer } from '../answer.js';
import { readJsonObject } from '../body.js';
import { checkCreateBody } from '../create-body.js';
import type { ApiDeps } from '../deps.js';
import { requestContext } from '../request-context.js';
import type { RouteTable } from '../route-index.js';

/**
 * `POST /skep/placement?name=NAME` with a create body: where that container would go and why,
 * without creating it (beforeSchedule, filter and rank run; nothing is reserved,
 * no engine is called).
 */
export function placementRoutes(router: RouteTable, deps: ApiDeps): void {
  router.post('skep.placement', '/skep/placement', async (ctx) => {
    const config = (await readJsonObject(ctx)) as ContainerConfig;
    checkCreateBody(config);
    const context = requestContext(ctx);
    const { request, plan } = await deps.placement.dryRun(
      { name: context.query.name, config, query: {} },
      context,
    );
    const { context: schedule, message } = plan;
    const ranked = await plan.ranked();
    await answer(ctx, deps, {
      Node: ranked[0]?.name ?? null,
      Ranked: ranked.map((n) => n.name),
      Rejected: schedule.rejections.map((r) => ({ Node: r.node, Filter: r.by, Reason: r.reason })),
      Message: message,
      Config: request.config,
    });
  });
}
