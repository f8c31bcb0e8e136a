import type { LogFormat, LogLevel } from '../core/log.js';

export type { LogFormat, LogLevel } from '../core/log.js';
import type { PluginOption } from '../core/plugin.js';

/** A duration as classic swarm took it, Go's form with a unit: "30s", "1m30s", "500ms". */
export type Duration = string;

/**
 * What an operator writes in `swarm.config.ts`. Every key is optional; command-line flags
 * override it.
 */
export interface SwarmConfig {
  /** Addresses the manager listens on: `tcp://ip:port`, `ip:port` or `unix:///path` (`-H`). */
  hosts?: string[];
  /**
   * The engines: a list of addresses, or one discovery string (`nodes://a,b`, `a,b`,
   * `10.0.0.[1:3]:2375`).
   */
  nodes?: string[] | string;
  /** Name of the ranking strategy (`--strategy`). */
  strategy?: string;
  /** Names of the filters to run, in order (`--filter`). */
  filters?: string[];
  /** Discovery heartbeat (`--heartbeat`). */
  heartbeat?: Duration;
  engine?: {
    /** Lower bound of the jittered safety-net refresh (`--engine-refresh-min-interval`). */
    refreshMinInterval?: Duration;
    /** Upper bound of that refresh (`--engine-refresh-max-interval`). */
    refreshMaxInterval?: Duration;
    /** Consecutive failures before a node is unhealthy (`--engine-failure-retry`). */
    failureRetry?: number;
    /** Timeout of the manager's own calls to an engine (not of proxied streams). */
    requestTimeout?: Duration;
    /** Timeout to open a connection to an engine. */
    connectTimeout?: Duration;
  };
  /** `--cluster-opt key=value` pairs, e.g. `{ 'swarm.overcommit': '0.05' }`. */
  clusterOpts?: Record<string, string>;
  /** Answer CORS preflights and add `Access-Control-Allow-*` headers (`--api-enable-cors`). */
  cors?: boolean;
  logLevel?: LogLevel;
  /** `--log-format`: `text` (logrus' shape, the default) or `json` lines. */
  logFormat?: LogFormat;
  experimental?: boolean;
  /**
   * The operator listener (`--status-addr`): `/metrics`, `/healthz`, `/readyz` and the status page,
   * never on the Docker API port. Off unless an address is given.
   */
  status?: { address?: string };
  /**
   * `--shutdown-timeout`: on SIGTERM, how long running requests may go on before streams are
   * closed (10s).
   */
  shutdownTimeout?: Duration;
  /**
   * Where node maintenance (availability, Skep-side labels) is kept across restarts: a JSON file,
   * by default `skep-nodes.json` beside the config file (or in the working directory). Under
   * replication it is in etcd.
   */
  stateFile?: string;
  /**
   * TLS towards clients (classic's `--tls`, `--tlsverify`, `--tlscacert`, `--tlscert`, `--tlskey`).
   * Unless `engineTls` says otherwise, the same files serve towards engines too, as in
   * classic swarm.
   */
  tls?: TlsConfig;
  /**
   * TLS towards engines, for the whole cluster and per node (keyed by `ip:port`);
   * `false` for plain TCP.
   */
  engineTls?: (EngineTlsConfig & { nodes?: Record<string, EngineTlsConfig> }) | false;
  /** Built-in plugins to turn off by name, e.g. `{ 'node-field': false }`. */
  builtins?: Record<string, boolean>;
  /** This manager's address for other managers (`--advertise`), needed by `replication`. */
  advertise?: string;
  /**
   * Manager replication with leader election on etcd (`--replication`, see docs/ha.md); needs
   * `advertise` and etcd:// nodes.
   */
  replication?: boolean;
  /**
   * The leader lease's TTL (`--replication-ttl`, 2s; classic's was 20s): a dead primary is
   * replaced within it.
   */
  replicationTtl?: Duration;
  /** Discovery options (`--discovery-opt key=value`), e.g. `kv.path`. */
  discoveryOpts?: Record<string, string>;
  /**
   * Re-read a node's containers when `docker ps` filters on that node (`--refresh-on-node-filter`).
   */
  refreshOnNodeFilter?: boolean;
  /**
   * Re-read every node's containers when `docker ps` filters on exactly this name
   * (`--container-name-refresh-filter`).
   */
  containerNameRefreshFilter?: string;
  /**
   * Third-party plugins, after the built-ins;
   * falsy entries are skipped and nested arrays flattened.
   */
  plugins?: PluginOption[];
  /** What one client may hold (docs/security.md). */
  clients?: {
    /**
     * Every request head, a connection's first included, must arrive within this (60s);
     * else 408 and closed.
     */
    headerTimeout?: Duration;
    /** A JSON request body must arrive within this (30s); else 408. */
    bodyTimeout?: Duration;
    /** Open connections from one client address at most (128); more are answered 429 and closed. */
    maxConnectionsPerAddress?: number;
  };
  /**
   * Docker authorization plugins, asked about every request in this order
   * (`--authorization-plugin`): a name is found as dockerd finds it
   * (`/run/docker/plugins/NAME.sock`, `/etc/docker/plugins/NAME.spec`...), or `{ name, address }`
   * with `unix:///path`, `tcp://host:port` or `http(s)://host:port`.
   */
  authorizationPlugins?: (string | AuthorizationPluginConfig)[];
}

export interface AuthorizationPluginConfig {
  /** The name in messages (`authorization denied by plugin NAME: ...`). */
  name: string;
  address: string;
}

/** Files (paths) for the client side. */
export interface TlsConfig {
  /** Serve over TLS (`--tls`; implied by `verify`). */
  enabled?: boolean;
  /** Require a client certificate signed by `ca` (`--tlsverify`). */
  verify?: boolean;
  ca?: string;
  cert?: string;
  key?: string;
}

/** Files (paths) for talking to engines that require TLS. */
export interface EngineTlsConfig {
  ca?: string;
  cert?: string;
  key?: string;
  /** The name to expect in the engine's certificate, when it is not the address. */
  serverName?: string;
}

/** TLS material as the manager uses it: file contents, read and checked at start. */
export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  serverName?: string;
}

/** The configuration after defaults, the config file and the flags are merged and checked. */
export interface ResolvedConfig {
  hosts: string[];
  nodes: string[];
  strategy: string;
  filters: string[];
  heartbeatMs: number;
  engine: {
    refreshMinMs: number;
    refreshMaxMs: number;
    failureRetry: number;
    requestTimeoutMs: number;
    connectTimeoutMs: number;
  };
  clusterOpts: Record<string, string>;
  cors: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  experimental: boolean;
  /** The operator listener's address, when there is one. */
  statusAddress?: string;
  shutdownTimeoutMs: number;
  /** The node maintenance state file (not used under replication, where etcd keeps it). */
  stateFile: string;
  builtins: Record<string, boolean>;
  plugins: PluginOption[];
  advertise?: string;
  replication: boolean;
  replicationTtlMs: number;
  discoveryOpts: Record<string, string>;
  refreshOnNodeFilter: boolean;
  containerNameRefreshFilter?: string;
  /** Serving clients over TLS; `verify` requires a client certificate. */
  serverTls?: TlsMaterial & { verify: boolean };
  /** Talking to engines over TLS: the cluster's settings and each node's own. */
  engineTls?: TlsMaterial & { nodes: Record<string, TlsMaterial> };
  clients: { headerTimeoutMs: number; bodyTimeoutMs: number; maxConnectionsPerAddress: number };
  /** Names (found as dockerd finds them) or named addresses. */
  authorizationPlugins: (string | AuthorizationPluginConfig)[];
  /** Where the config file was found, if one was. */
  configFile?: string;
}
