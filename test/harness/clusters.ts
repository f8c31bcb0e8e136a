/**
 * Every real-engine network in one table: who uses it (an e2e file by its name, or a purpose), its name prefix and
 * its subnet (the third octet of 10.213.X.0/24). No two share either, so any of them may run beside any other, and
 * a run cleans up only what its own prefix left behind. A new user takes a free subnet here; nothing else picks one.
 */
export interface ClusterNetwork {
  /** Names netns, links and the state folder: at most 6 letters or digits (link names are limited to 15). */
  readonly prefix: string;
  /** Third octet of 10.213.X.0/24. */
  readonly subnet: number;
}

export const NETWORKS = {
  /** `npm run cluster`: the cluster started by hand (the README's addresses, 10.213.5.11...). */
  hand: { prefix: 'skep', subnet: 5 },
  // test/e2e/<name>.test.ts
  'docker-cli': { prefix: 'skcli', subnet: 6 },
  'http-api': { prefix: 'skhttp', subnet: 7 },
  dockerode: { prefix: 'skdode', subnet: 8 },
  'node-health': { prefix: 'skhlth', subnet: 9 },
  'swarm-api': { prefix: 'skapi', subnet: 10 },
  'registry-auth': { prefix: 'skreg', subnet: 11 },
  scheduling: { prefix: 'sksch', subnet: 12 },
  'whole-api': { prefix: 'skall', subnet: 13 },
  discovery: { prefix: 'skdisc', subnet: 14 },
  faults: { prefix: 'skflt', subnet: 15 },
  'classic-outputs': { prefix: 'skcls', subnet: 16 },
  fuzz: { prefix: 'skfuzz', subnet: 17 },
  'docker-py': { prefix: 'skpy', subnet: 18 },
  tls: { prefix: 'sktls', subnet: 19 },
  authorization: { prefix: 'skaz', subnet: 21 },
  replication: { prefix: 'skha', subnet: 23 },
  operations: { prefix: 'skops', subnet: 25 },
  'status-page': { prefix: 'skpage', subnet: 26 },
  /** The short chaos run of the e2e tier, apart from `npm run chaos`. */
  chaos: { prefix: 'skche', subnet: 28 },
  today: { prefix: 'sktday', subnet: 30 },
  'api-versions': { prefix: 'skver', subnet: 31 },
  'replicated-authorization': { prefix: 'skhaaz', subnet: 40 },
  'store-tls': { prefix: 'skstor', subnet: 33 },
  'classic-agents': { prefix: 'skclag', subnet: 34 },
  zookeeper: { prefix: 'skzk', subnet: 35 },
  'zk-replication': { prefix: 'skzkha', subnet: 36 },
  image: { prefix: 'skimg', subnet: 45 },
  /** `npm run chaos` (test/chaos/chaos.ts's default). */
  'chaos-run': { prefix: 'skchs', subnet: 22 },
  // the bench's parts (bench/*.ts)
  'bench-real-cluster': { prefix: 'skbnch', subnet: 20 },
  'bench-failover': { prefix: 'skfovr', subnet: 24 },
  /** bench/metrics-cost.ts still spells these out itself: keep them equal. */
  'bench-metrics-cost': { prefix: 'skmetr', subnet: 27 },
  'bench-buildkit': { prefix: 'skbkit', subnet: 32 },
} as const satisfies Record<string, ClusterNetwork>;

export type NetworkUser = keyof typeof NETWORKS;

/** The prefix and subnet of one user of the table. */
export function network(user: NetworkUser): ClusterNetwork {
  return NETWORKS[user];
}

/** The host's address on a network's bridge (what TestCluster's hostIp will say once it runs). */
export function hostIp(net: ClusterNetwork): string {
  return `10.213.${net.subnet}.1`;
}

/**
 * The address of a network's engine `index` (1 for node1), as TestCluster gives it; known before it
 * starts, for certificates.
 */
export function engineIp(net: ClusterNetwork, index: number): string {
  return `10.213.${net.subnet}.${10 + index}`;
}

/** The table's promise, checked whenever it is loaded: names and subnets all apart, each one usable. */
function checkTable(): void {
  const seen = new Map<string, string>();
  for (const [user, { prefix, subnet }] of Object.entries(NETWORKS) as [string, ClusterNetwork][]) {
    if (!/^[a-z0-9]{1,6}$/.test(prefix))
      throw new Error(
        `clusters.ts: ${user}'s prefix ${prefix} is not 1 to 6 lowercase letters or digits`,
      );
    if (!Number.isInteger(subnet) || subnet < 1 || subnet > 254)
      throw new Error(`clusters.ts: ${user}'s subnet ${subnet} is not 1 to 254`);
    for (const key of [`prefix ${prefix}`, `subnet ${subnet}`]) {
      const other = seen.get(key);
      if (other) throw new Error(`clusters.ts: ${user} and ${other} share ${key}`);
      seen.set(key, user);
    }
  }
}
checkTable();
