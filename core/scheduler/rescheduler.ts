import type { Cluster } from '../cluster/cluster.js';
import type { ContainerInspect, ContainerSummary } from '../cluster/docker-types.js';
import type { Engine } from '../cluster/engine.js';
import type { Logger } from '../log.js';
import { badRequest } from '../errors.js';
import type { ContainerConfig, RequestContext } from '../pipeline-types.js';
import { labelStrings, SWARM_LABELS } from '../swarm-labels.js';
import type { Scheduler } from './scheduler.js';

export const RESCHEDULE_LABEL = SWARM_LABELS.reschedulePolicies;
const POLICY = 'on-node-failure';
const POLICIES = [POLICY, 'off'];

/**
 * Classic's create-time handling of reschedule policies (cluster/config.go): `-e reschedule:POLICY` moves into the
 * label, so the engine never sees it, and the label must hold at most one known policy, in classic's words.
 */
export function normalizeReschedulePolicy(config: ContainerConfig): void {
  const env = config.Env ?? [];
  const moved = env.filter((e) => e.startsWith('reschedule:')).map((e) => e.slice('reschedule:'.length));
  if (moved.length > 0) {
    config.Env = env.filter((e) => !e.startsWith('reschedule:'));
    config.Labels = { ...config.Labels, [RESCHEDULE_LABEL]: JSON.stringify([...(labelStrings(config.Labels, RESCHEDULE_LABEL) ?? []), ...moved]) };
  }
  const policies = labelStrings(config.Labels, RESCHEDULE_LABEL) ?? [];
  if (policies.length > 1) throw badRequest('too many reschedule policies');
  if (policies.length === 1 && !POLICIES.includes(policies[0]!)) throw badRequest(`invalid reschedule policy: ${policies[0]}`);
}

/** `-e reschedule:on-node-failure`, or the label `com.docker.swarm.reschedule-policies=["on-node-failure"]`. */
export function wantsReschedule(inspect: ContainerInspect): boolean {
  const config = inspect.Config as { Env?: string[] | null; Labels?: Record<string, string> | null } | undefined;
  if ((config?.Env ?? []).includes(`reschedule:${POLICY}`)) return true;
  try {
    const policies = JSON.parse(config?.Labels?.[RESCHEDULE_LABEL] ?? '[]') as unknown;
    return Array.isArray(policies) && policies.includes(POLICY);
  } catch {
    return false;
  }
}

/** The create body that makes the same container again: its config, host config and network endpoints. */
export function recreateBody(inspect: ContainerInspect): ContainerConfig {
  const { Hostname, ...config } = (inspect.Config ?? {}) as Record<string, unknown>;
  const networks = ((inspect.NetworkSettings as { Networks?: Record<string, { Aliases?: string[] | null; Links?: string[] | null }> } | undefined)?.Networks) ?? {};
  const EndpointsConfig = Object.fromEntries(Object.entries(networks).map(([name, n]) => [name, { Aliases: n.Aliases ?? undefined, Links: n.Links ?? undefined }]));
  // the old hostname was the old container's ID: let the engine name the new one
  const hostname = typeof Hostname === 'string' && !inspect.Id.startsWith(Hostname) ? { Hostname } : {};
  return { ...config, ...hostname, HostConfig: inspect.HostConfig as ContainerConfig['HostConfig'], NetworkingConfig: { EndpointsConfig } };
}

const CONTEXT: RequestContext = { route: 'skep.reschedule', method: 'POST', path: '/containers/create', query: {}, headers: {}, state: {} };

/**
 * Classic swarm's rescheduling: when a node fails, each of its containers with the policy is created again (same
 * name, same config, same swarm ID) on a node the scheduler picks, and started if it was running. When the failed
 * node returns, a container there whose swarm ID now lives on another node is a stale copy and is removed, so
 * each container exists once (classic's removeDuplicateContainers; no memory of the manager's own is needed).
 */
export class Rescheduler {
  constructor(
    private readonly cluster: Cluster,
    private readonly scheduler: Scheduler,
    private readonly logger: Logger,
  ) {
    cluster.on('health', (engine: Engine, previous: string) => {
      if (engine.health === 'unhealthy' && previous === 'healthy') void this.evacuate(engine);
      // a node that returns: its copies of rescheduled containers are stale (classic's rule). A node seen for the
      // first time (a restarted manager): only a stopped copy of a container that runs elsewhere is.
      if (engine.health === 'healthy' && previous !== 'healthy') void this.removeDuplicates(engine, previous === 'pending');
    });
  }

  private async evacuate(failed: Engine): Promise<void> {
    const moving = [...failed.containers.values()].filter((c) => wantsReschedule(c.inspect));
    for (const { inspect } of moving) {
      const name = inspect.Name.replace(/^\//, '');
      // out of the failed node's view first: the name is free again, and its copy is not listed twice
      failed.forgetContainer(inspect.Id);
      try {
        const outcome = await this.scheduler.create({ name, config: recreateBody(inspect), query: {} }, CONTEXT, {});
        if (!outcome.id) throw new Error(`the engine answered ${outcome.response.status}: ${outcome.response.body.toString('utf8').trim()}`);
        if (inspect.State.Running) {
          await outcome.engine.client.request('POST', `containers/${outcome.id}/start`);
          await outcome.engine.refreshContainer(outcome.id);
        }
        this.logger.info(`Rescheduled container ${inspect.Id.slice(0, 12)} (${name}) from ${failed.name} to ${outcome.engine.name} as ${outcome.id.slice(0, 12)}`);
        this.cluster.announce(outcome.engine, 'container_reschedule', { container: outcome.id, name, 'from.node': failed.name, 'from.container': inspect.Id });
      } catch (err) {
        this.logger.error(`cannot reschedule ${name} from ${failed.name}: ${(err as Error).message}`);
      }
    }
  }

  private async removeDuplicates(returned: Engine, onlyStopped: boolean): Promise<void> {
    let rows: ContainerSummary[];
    try {
      // a returning node's list from the engine itself (the cache forgot the copies rescheduled away); a node seen
      // for the first time was just listed into the cache, which costs no request
      rows = onlyStopped ? [...returned.containers.values()].map((c) => c.summary) : await returned.client.json<ContainerSummary[]>('containers/json', { all: 1 });
    } catch (err) {
      this.logger.warn(`cannot list ${returned.name}'s containers to remove rescheduled copies: ${(err as Error).message}`);
      return;
    }
    for (const row of rows) {
      const swarmId = row.Labels?.[SWARM_LABELS.id];
      const elsewhere = swarmId ? this.cluster.withSwarmId(swarmId).find((l) => l.engine !== returned) : undefined;
      if (!elsewhere || (onlyStopped && (row.State === 'running' || !elsewhere.container.inspect.State.Running))) continue;
      try {
        const res = await returned.client.request('DELETE', `containers/${row.Id}`, { query: { force: 1, v: 0 } });
        if (res.status >= 300 && res.status !== 404) throw new Error(`the engine answered ${res.status}`);
        returned.forgetContainer(row.Id);
        this.logger.info(`container ${row.Id.slice(0, 12)} was rescheduled on node ${elsewhere.engine.name}, removed it from ${returned.name}`);
      } catch (err) {
        this.logger.error(`Failed to remove duplicate container ${row.Id.slice(0, 12)} on node ${returned.name}: ${(err as Error).message}`);
      }
    }
  }
}
