import type { ContainerInspect } from '../cluster/docker-types.js';
import { badRequest } from '../errors.js';
import type { ContainerConfig } from '../pipeline-types.js';
import { labelStrings, SWARM_LABELS } from '../swarm-labels.js';

export const RESCHEDULE_LABEL = SWARM_LABELS.reschedulePolicies;
const POLICY = 'on-node-failure';
const POLICIES = [POLICY, 'off'];

/**
 * Classic's create-time handling of reschedule policies (cluster/config.go): `-e reschedule:POLICY`
 * moves into the label, so the engine never sees it, and the label must hold at most one known
 * policy, in classic's words.
 */
export function normalizeReschedulePolicy(config: ContainerConfig): void {
  const env = config.Env ?? [];
  const moved = env
    .filter((e) => e.startsWith('reschedule:'))
    .map((e) => e.slice('reschedule:'.length));
  if (moved.length > 0) {
    config.Env = env.filter((e) => !e.startsWith('reschedule:'));
    config.Labels = {
      ...config.Labels,
      [RESCHEDULE_LABEL]: JSON.stringify([
        ...(labelStrings(config.Labels, RESCHEDULE_LABEL) ?? []),
        ...moved,
      ]),
    };
  }
  const policies = labelStrings(config.Labels, RESCHEDULE_LABEL) ?? [];
  if (policies.length > 1) throw badRequest('too many reschedule policies');
  if (policies.length === 1 && !POLICIES.includes(policies[0]!))
    throw badRequest(`invalid reschedule policy: ${policies[0]}`);
}

/**
 * `-e reschedule:on-node-failure`, or the label
 * `com.docker.swarm.reschedule-policies=["on-node-failure"]`.
 */
export function wantsReschedule(inspect: ContainerInspect): boolean {
  const config = inspect.Config as
    { Env?: string[] | null; Labels?: Record<string, string> | null } | undefined;
  if ((config?.Env ?? []).includes(`reschedule:${POLICY}`)) return true;
  try {
    const policies = JSON.parse(config?.Labels?.[RESCHEDULE_LABEL] ?? '[]') as unknown;
    return Array.isArray(policies) && policies.includes(POLICY);
  } catch {
    return false;
  }
}

/**
 * The create body that makes the same container again:
 * its config, host config and network endpoints.
 */
export function recreateBody(inspect: ContainerInspect): ContainerConfig {
  const { Hostname, ...config } = (inspect.Config ?? {}) as Record<string, unknown>;
  const networks =
    (
      inspect.NetworkSettings as
        | { Networks?: Record<string, { Aliases?: string[] | null; Links?: string[] | null }> }
        | undefined
    )?.Networks ?? {};
  const EndpointsConfig = Object.fromEntries(
    Object.entries(networks).map(([name, n]) => [
      name,
      { Aliases: n.Aliases ?? undefined, Links: n.Links ?? undefined },
    ]),
  );
  // the old hostname was the old container's ID: let the engine name the new one
  const hostname =
    typeof Hostname === 'string' && !inspect.Id.startsWith(Hostname) ? { Hostname } : {};
  return {
    ...config,
    ...hostname,
    HostConfig: inspect.HostConfig as ContainerConfig['HostConfig'],
    NetworkingConfig: { EndpointsConfig },
  };
}
