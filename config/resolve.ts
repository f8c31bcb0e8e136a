import { dirname, resolve } from 'node:path';
import { defaults } from './defaults.js';
import { parseDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { resolveTls } from './tls.js';
import type { ResolvedConfig, SwarmConfig } from './types.js';

/** `host:port` (an IPv6 host in brackets), as `--status-addr` takes it. */
export const LISTEN_HOST_PORT = /^(\[[^\]]+\]|[^:/[\]]+):\d{1,5}$/;

function ms(value: SwarmConfig['heartbeat'], fallback: number): number {
  return value === undefined ? fallback : parseDuration(value)!;
}

function splitNodes(nodes: string[] | string): string[] {
  return (Array.isArray(nodes) ? nodes : [nodes]).map((n) => n.trim()).filter((n) => n !== '');
}

/** Layers defaults, then the config file, then command-line flags (each already validated). */
export function resolveConfig(
  file: SwarmConfig,
  flags: SwarmConfig,
  configFile?: string,
): ResolvedConfig {
  const base = defaults();
  const pick = <K extends keyof SwarmConfig>(key: K): SwarmConfig[K] => flags[key] ?? file[key];
  const engine = { ...file.engine, ...flags.engine };
  const clients = { ...file.clients, ...flags.clients };
  const nodes = pick('nodes');
  const resolved: ResolvedConfig = {
    hosts: pick('hosts') ?? base.hosts,
    nodes: nodes === undefined ? base.nodes : splitNodes(nodes),
    strategy: pick('strategy') ?? base.strategy,
    filters: pick('filters') ?? base.filters,
    heartbeatMs: ms(pick('heartbeat'), base.heartbeatMs),
    engine: {
      refreshMinMs: ms(engine.refreshMinInterval, base.engine.refreshMinMs),
      refreshMaxMs: ms(engine.refreshMaxInterval, base.engine.refreshMaxMs),
      failureRetry: engine.failureRetry ?? base.engine.failureRetry,
      requestTimeoutMs: ms(engine.requestTimeout, base.engine.requestTimeoutMs),
      connectTimeoutMs: ms(engine.connectTimeout, base.engine.connectTimeoutMs),
    },
    clusterOpts: { ...base.clusterOpts, ...file.clusterOpts, ...flags.clusterOpts },
    cors: pick('cors') ?? base.cors,
    logLevel: pick('logLevel') ?? base.logLevel,
    logFormat: pick('logFormat') ?? base.logFormat,
    statusAddress: flags.status?.address ?? file.status?.address,
    shutdownTimeoutMs: ms(pick('shutdownTimeout'), base.shutdownTimeoutMs),
    // beside the config file, so that the operator who edits one finds the other
    stateFile: resolve(
      configFile ? dirname(configFile) : process.cwd(),
      pick('stateFile') ?? base.stateFile,
    ),
    experimental: pick('experimental') ?? base.experimental,
    builtins: { ...file.builtins, ...flags.builtins },
    plugins: [...(file.plugins ?? []), ...(flags.plugins ?? [])],
    advertise: pick('advertise'),
    replication: pick('replication') ?? base.replication,
    replicationTtlMs: ms(pick('replicationTtl'), base.replicationTtlMs),
    discoveryOpts: { ...file.discoveryOpts, ...flags.discoveryOpts },
    refreshOnNodeFilter: pick('refreshOnNodeFilter') ?? base.refreshOnNodeFilter,
    containerNameRefreshFilter: pick('containerNameRefreshFilter'),
    ...resolveTls({ ...file.tls, ...flags.tls }, pick('engineTls')),
    clients: {
      headerTimeoutMs: ms(clients.headerTimeout, base.clients.headerTimeoutMs),
      bodyTimeoutMs: ms(clients.bodyTimeout, base.clients.bodyTimeoutMs),
      maxConnectionsPerAddress:
        clients.maxConnectionsPerAddress ?? base.clients.maxConnectionsPerAddress,
    },
    authorizationPlugins: [
      ...(file.authorizationPlugins ?? []),
      ...(flags.authorizationPlugins ?? []),
    ],
    configFile,
  };
  if (resolved.nodes.length === 0)
    throw new ConfigError('no nodes: name at least one engine address');
  if (resolved.hosts.length === 0) throw new ConfigError('no listen address: give at least one -H');
  // classic's words first (cli/manage.go), then the config keys they concern
  if (resolved.clients.headerTimeoutMs <= 0 || resolved.clients.bodyTimeoutMs <= 0)
    throw new ConfigError(
      'client timeouts should be positive ("clients.headerTimeout", "clients.bodyTimeout")',
    );
  if (resolved.engine.refreshMinMs <= 0)
    throw new ConfigError(
      'min refresh interval should be a positive number ("engine.refreshMinInterval")',
    );
  if (resolved.engine.refreshMaxMs < resolved.engine.refreshMinMs) {
    throw new ConfigError(
      'max refresh interval cannot be less than min refresh interval ' +
        '("engine.refreshMaxInterval" < "engine.refreshMinInterval")',
    );
  }
  if (resolved.statusAddress !== undefined && !LISTEN_HOST_PORT.test(resolved.statusAddress)) {
    throw new ConfigError(
      `invalid operator listener address "${resolved.statusAddress}" ("status.address", --status-addr): ` +
        'expected host:port, e.g. 127.0.0.1:9323',
    );
  }
  if (resolved.replication) checkReplication(resolved);
  return resolved;
}

/** What `--replication` needs: classic's checks (cli/manage.go) first, then Skep's own. */
function checkReplication(resolved: ResolvedConfig): void {
  if (!resolved.advertise)
    throw new ConfigError('--advertise address must be provided when using --leader-election');
  if (resolved.nodes.length !== 1 || !/^(etcd|zk):\/\//i.test(resolved.nodes[0]!)) {
    throw new ConfigError(
      'Leader election is only supported with consul, etcd and zookeeper discovery. ' +
        'Skep elects on etcd and ZooKeeper: give the nodes as ' +
        'etcd://host:port[,host:port]/path or zk://host:port[,host:port]/path',
    );
  }
  if (resolved.replicationTtlMs < 1000)
    throw new ConfigError(
      '--replication-ttl should be at least one second (etcd leases count whole seconds)',
    );
}
