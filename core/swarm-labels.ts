/**
 * The container labels of classic swarm's API (cluster/config.go): placement expressions and
 * policies are kept on the container under these names, so later decisions (rescheduling, a
 * restarted manager) can read them.
 */
export const SWARM_LABELS = {
  /**
   * A 64-hex ID the manager gives each container it creates,
   * kept when the container is rescheduled.
   */
  id: 'com.docker.swarm.id',
  constraints: 'com.docker.swarm.constraints',
  affinities: 'com.docker.swarm.affinities',
  whitelists: 'com.docker.swarm.whitelists',
  reschedulePolicies: 'com.docker.swarm.reschedule-policies',
} as const;

/**
 * A JSON list of strings kept in a label, as classic read it:
 * anything else is no list (`undefined`).
 */
export function labelStrings(
  labels: Readonly<Record<string, string>> | null | undefined,
  label: string,
): string[] | undefined {
  const raw = labels?.[label];
  if (raw === undefined || raw === '') return [];
  try {
    const parsed = JSON.parse(raw) as unknown;
    return Array.isArray(parsed) && parsed.every((e) => typeof e === 'string') ? parsed : undefined;
  } catch {
    return undefined;
  }
}
