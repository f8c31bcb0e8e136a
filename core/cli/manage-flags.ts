import { CLUSTER_OPTS } from '../../config/cluster-opts.js';
import { DEFAULT_FILTERS, DEFAULT_NODE, defaults } from '../../config/defaults.js';
import { ConfigError } from '../../config/errors.js';
import { LISTEN_HOST_PORT } from '../../config/resolve.js';
import { FILTERS, STRATEGIES } from '../../plugins/index.js';
import { discoveryArgument, DISCOVERY_FORMS, discoveryOptFlag } from './discovery-flags.js';
import type { Command, Flag } from './flag.js';
import type { ParsedManage } from './parsed-manage.js';
import { boolFlag, durationFlag, intFlag, listFlag, textFlag } from './flag-kinds.js';
import { HELP_FLAG, LOG_FORMAT_FLAG } from './global-flags.js';
import { inSeconds } from './go-values.js';

export type { ParsedManage } from './parsed-manage.js';

/** The defaults the help shows are those the configuration applies. */
const DEFAULTS = defaults();
export const DEPRECATED_REFRESH_RETRY = 3;
const DOCKER_ENGINES_ONLY = 'Skep drives Docker engines only: --cluster-driver swarm';
const OTHER_MANAGERS_MUST_REACH =
  'Other swarm manager(s) MUST be able to reach the swarm manager at this address.';

/** A flag of `--tlscacert`, `--tlscert`, `--tlskey`: a file the TLS settings name. */
const tlsFile = (name: string, key: 'ca' | 'cert' | 'key', usage: string) =>
  textFlag<ParsedManage>({
    names: [name],
    kind: 'file',
    usage,
    set: (t, path) => {
      t.flags.tls = { ...t.flags.tls, [key]: path };
    },
  });

/** Classic's `manage` flags, in its order (cli/commands.go) and words (cli/flags.go). */
const CLASSIC_FLAGS: readonly Flag<ParsedManage>[] = [
  textFlag<ParsedManage>({
    names: ['strategy'],
    usage: 'placement strategy to use',
    values: Object.keys(STRATEGIES),
    default: DEFAULTS.strategy,
    set: (t, name) => {
      t.flags.strategy = name;
    },
  }),
  listFlag<ParsedManage>({
    names: ['filter', 'f'],
    usage: 'filter to use',
    values: Object.keys(FILTERS),
    default: DEFAULT_FILTERS,
    set: (t, names) => {
      const added = names.split(',').map((f) => f.trim());
      t.flags.filters = [...(t.flags.filters ?? []), ...added.filter(Boolean)];
    },
  }),
  listFlag<ParsedManage>({
    names: ['host', 'H'],
    usage: 'ip/socket to listen on',
    default: DEFAULTS.hosts,
    env: 'SWARM_HOST',
    set: (t, address) => {
      t.flags.hosts = [...(t.flags.hosts ?? []), address];
    },
  }),
  boolFlag<ParsedManage>({
    names: ['replication'],
    usage: 'Enable Swarm manager replication',
    set: (t, on) => {
      t.flags.replication = on;
    },
  }),
  durationFlag<ParsedManage>({
    names: ['replication-ttl'],
    usage: 'Leader lock release time on failure',
    default: inSeconds(DEFAULTS.replicationTtlMs),
    set: (t, ms) => {
      t.flags.replicationTtl = `${ms}ms`;
    },
  }),
  textFlag<ParsedManage>({
    names: ['advertise', 'addr'],
    usage: `Address of the swarm manager joining the cluster. ${OTHER_MANAGERS_MUST_REACH}`,
    env: 'SWARM_ADVERTISE',
    set: (t, address) => {
      t.flags.advertise = address;
    },
  }),
  boolFlag<ParsedManage>({
    names: ['tls'],
    usage: 'use TLS; implied by --tlsverify=true',
    set: (t, on) => {
      t.flags.tls = { ...t.flags.tls, enabled: on };
    },
  }),
  tlsFile(
    'tlscacert',
    'ca',
    'trust only remotes providing a certificate signed by the CA given here',
  ),
  tlsFile('tlscert', 'cert', 'path to TLS certificate file'),
  tlsFile('tlskey', 'key', 'path to TLS key file'),
  boolFlag<ParsedManage>({
    names: ['tlsverify'],
    usage: 'use TLS and verify the remote',
    set: (t, on) => {
      t.flags.tls = { ...t.flags.tls, verify: on };
    },
  }),
  durationFlag<ParsedManage>({
    names: ['engine-refresh-min-interval'],
    usage: 'set engine refresh minimum interval',
    default: inSeconds(DEFAULTS.engine.refreshMinMs),
    errorNamesValue: true,
    set: (t, ms) => {
      if (ms <= 0) throw new ConfigError('min refresh interval should be a positive number');
      t.flags.engine = { ...t.flags.engine, refreshMinInterval: `${ms}ms` };
    },
  }),
  durationFlag<ParsedManage>({
    names: ['engine-refresh-max-interval'],
    usage: 'set engine refresh maximum interval',
    default: inSeconds(DEFAULTS.engine.refreshMaxMs),
    errorNamesValue: true,
    set: (t, ms) => {
      if (ms < 0)
        throw new ConfigError('max refresh interval cannot be less than min refresh interval');
      t.flags.engine = { ...t.flags.engine, refreshMaxInterval: `${ms}ms` };
    },
  }),
  intFlag<ParsedManage>({
    names: ['engine-failure-retry'],
    usage: 'set engine failure retry count',
    default: DEFAULTS.engine.failureRetry,
    set: (t, count) => {
      if (count <= 0) throw new ConfigError('invalid failure retry count');
      t.flags.engine = { ...t.flags.engine, failureRetry: count };
    },
  }),
  intFlag<ParsedManage>({
    names: ['engine-refresh-retry'],
    usage: 'deprecated; replaced by --engine-failure-retry',
    default: DEPRECATED_REFRESH_RETRY,
    set: (t, count) => {
      t.refreshRetry = count;
    },
  }),
  durationFlag<ParsedManage>({
    names: ['heartbeat'],
    usage: 'period between each heartbeat',
    default: inSeconds(DEFAULTS.heartbeatMs),
    set: (t, ms) => {
      if (ms < 1000) throw new ConfigError('--heartbeat should be at least one second');
      t.flags.heartbeat = `${ms}ms`;
    },
  }),
  boolFlag<ParsedManage>({
    names: ['api-enable-cors', 'cors'],
    usage: 'enable CORS headers in the remote API',
    set: (t, on) => {
      t.flags.cors = on;
    },
  }),
  textFlag<ParsedManage>({
    names: ['cluster-driver', 'c'],
    usage: 'cluster driver to use',
    values: ['swarm'],
    default: 'swarm',
    // taken as classic took it; Skep drives Docker engines only
    set: (_t, driver) => {
      if (driver === 'mesos-experimental') {
        throw new ConfigError(`unsupported cluster "${driver}" (${DOCKER_ENGINES_ONLY})`);
      }
      if (driver !== 'swarm') throw new ConfigError(`unsupported cluster "${driver}"`);
    },
  }),
  discoveryOptFlag<ParsedManage>((t) => (t.flags.discoveryOpts ??= {})),
  listFlag<ParsedManage>({
    names: ['cluster-opt'],
    usage: 'cluster driver options',
    set: (t, option, shown) => {
      const eq = option.indexOf('=');
      const key = option.slice(0, eq);
      if (eq <= 0)
        throw new ConfigError(`invalid value "${option}" for flag ${shown} (expected key=value)`);
      const check = CLUSTER_OPTS[key];
      if (!check) {
        throw new ConfigError(
          `unsupported cluster option "${key}" (known: ${Object.keys(CLUSTER_OPTS).join(', ')})`,
        );
      }
      const problem = check(option.slice(eq + 1));
      if (problem) throw new ConfigError(problem);
      t.flags.clusterOpts = { ...t.flags.clusterOpts, [key]: option.slice(eq + 1) };
    },
  }),
  boolFlag<ParsedManage>({
    names: ['refresh-on-node-filter'],
    usage: 'If true, refresh the cache when a ContainerList call comes in with a node filter',
    set: (t, on) => {
      t.flags.refreshOnNodeFilter = on;
    },
  }),
  textFlag<ParsedManage>({
    names: ['container-name-refresh-filter'],
    usage:
      'If set, refresh the cache when a ContainerList call comes in with a name filter set to this value',
    set: (t, name) => {
      t.flags.containerNameRefreshFilter = name;
    },
  }),
];

/** Skep's own, after classic's. */
const SKEP_FLAGS: readonly Flag<ParsedManage>[] = [
  LOG_FORMAT_FLAG,
  listFlag<ParsedManage>({
    names: ['authorization-plugin'],
    // dockerd's flag: a plugin's name, found where dockerd finds it
    usage:
      'Docker authorization plugin to ask about every request, in order (as dockerd finds it: NAME.sock)',
    set: (t, name) => {
      t.flags.authorizationPlugins = [...(t.flags.authorizationPlugins ?? []), name];
    },
  }),
  textFlag<ParsedManage>({
    names: ['config'],
    kind: 'file',
    usage: 'config file; when not given, swarm.config.* or .swarmrc* from the current directory up',
    set: (t, path) => {
      t.configFile = path;
    },
  }),
  textFlag<ParsedManage>({
    names: ['status-addr'],
    usage:
      'operator listener, host:port: /metrics, /healthz, /readyz and the status page (off when not given)',
    set: (t, address, shown) => {
      if (!LISTEN_HOST_PORT.test(address)) {
        throw new ConfigError(
          `invalid value "${address}" for flag ${shown} (expected host:port, e.g. 127.0.0.1:9323)`,
        );
      }
      t.flags.status = { address };
    },
  }),
  durationFlag<ParsedManage>({
    names: ['shutdown-timeout'],
    usage: 'on SIGTERM, how long running requests may go on',
    default: inSeconds(DEFAULTS.shutdownTimeoutMs),
    set: (t, ms) => {
      t.flags.shutdownTimeout = `${ms}ms`;
    },
  }),
  textFlag<ParsedManage>({
    names: ['state-file'],
    kind: 'file',
    usage: 'node maintenance state (swarm node update), beside the config file',
    default: DEFAULTS.stateFile,
    set: (t, path) => {
      t.flags.stateFile = path;
    },
  }),
];

const DESCRIPTION = `Without <discovery>: the config file's nodes, else ${DEFAULT_NODE}. An address may be a range,
e.g. 10.0.0.[10:20]:2375. Flags override the config file.`;

export const MANAGE: Command<ParsedManage> = {
  names: ['manage', 'm'],
  usage: 'Manage a docker cluster',
  description: DESCRIPTION,
  argument: discoveryArgument(
    DISCOVERY_FORMS.etcd,
    DISCOVERY_FORMS.file,
    DISCOVERY_FORMS.zk,
    DISCOVERY_FORMS.nodes,
    DISCOVERY_FORMS.unix,
  ),
  // as urfave/cli printed a command's flags: its own, then `--help`
  flags: [...CLASSIC_FLAGS, ...SKEP_FLAGS, HELP_FLAG],
  // classic's words; the options config/cluster-opts.ts checks
  notes: [
    ['swarm.overcommit=0.05', 'overcommit to apply on resources'],
    ['swarm.createretry=0', 'container create retry count after initial failure'],
  ],
  flagErrors: 'go',
  defaultsApplied: false,
};
