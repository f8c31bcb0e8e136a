import type { ResolvedConfig } from './types.js';

/** Classic swarm's defaults (cli/flags.go), except the listener, which `npm start` puts on 2375. */
export const DEFAULT_HOST = 'tcp://127.0.0.1:2375';
/**
 * With no nodes configured the manager fronts the local engine, so it serves wherever Docker runs.
 */
export const DEFAULT_NODE = 'unix:///var/run/docker.sock';
/** Classic swarm's default filters, in its order. */
export const DEFAULT_FILTERS = [
  'health',
  'port',
  'containerslots',
  'dependency',
  'affinity',
  'constraint',
  'whitelist',
];

export function defaults(): ResolvedConfig {
  return {
    hosts: [DEFAULT_HOST],
    nodes: [DEFAULT_NODE],
    strategy: 'spread',
    filters: [...DEFAULT_FILTERS],
    heartbeatMs: 60_000,
    engine: {
      refreshMinMs: 30_000,
      refreshMaxMs: 60_000,
      failureRetry: 3,
      requestTimeoutMs: 30_000,
      connectTimeoutMs: 5_000,
    },
    clusterOpts: {},
    cors: false,
    logLevel: 'info',
    logFormat: 'text',
    experimental: false,
    shutdownTimeoutMs: 10_000,
    stateFile: 'skep-nodes.json',
    builtins: {},
    plugins: [],
    replication: false,
    // classic's was 20 s; 2 s (etcd's shortest lease) keeps a failover within 3 s (see docs/ha.md)
    replicationTtlMs: 2_000,
    discoveryOpts: {},
    refreshOnNodeFilter: false,
    clients: { headerTimeoutMs: 60_000, bodyTimeoutMs: 30_000, maxConnectionsPerAddress: 128 },
    authorizationPlugins: [],
  };
}
