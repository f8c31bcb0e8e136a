import { CLUSTER_OPTS } from '../../config/cluster-opts.js';
import { parseDuration } from '../../config/duration.js';
import { ConfigError } from '../../config/errors.js';
import { LISTEN_HOST_PORT } from '../../config/resolve.js';
import type { LogLevel, SwarmConfig } from '../../config/types.js';

/** One flag: its names (as typed, without dashes), whether it takes a value, and what it sets. */
interface FlagSpec<T = ParsedManage> {
  names: string[];
  takesValue: boolean;
  set(target: T, value: string, shown: string): void;
}

export interface ParsedManage {
  flags: SwarmConfig;
  configFile?: string;
  /** Classic's `--engine-refresh-retry`, deprecated: only its default is accepted. */
  refreshRetry?: string;
}

/** `swarm join`: keep one engine registered in a discovery backend while this runs. */
export interface ParsedJoin {
  advertise?: string;
  heartbeatMs: number;
  ttlMs: number;
  /** `--delay`: a random wait in [0, delay] before the first registration, so nodes do not register together. */
  delayMs: number;
  discovery?: string;
  discoveryOpts: Record<string, string>;
}

/** `swarm list`: how long to wait for the backend's answer (`--timeout`). */
interface ParsedList {
  timeoutMs: number;
  discoveryOpts: Record<string, string>;
}

export type ParsedArgs =
  | { command: 'help'; topic?: string }
  | { command: 'version' }
  | ({ command: 'manage' } & ParsedManage)
  | ({ command: 'join' } & Required<ParsedJoin>)
  | ({ command: 'list'; discovery: string; flags: SwarmConfig } & ParsedList)
  | { command: 'node'; args: string[] };

/** `--discovery-opt key=value`, as classic checked it. */
const discoveryOpt = (opts: Record<string, string>, v: string) => {
  if (!v.includes('=')) throw new ConfigError('--discovery-opt must contain key=value strings');
  opts[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1);
};

const JOIN_FLAGS: FlagSpec<ParsedJoin>[] = [
  {
    names: ['advertise', 'addr'],
    takesValue: true,
    set: (t, v) => {
      t.advertise = v;
    },
  },
  {
    names: ['heartbeat'],
    takesValue: true,
    set: (t, v) => {
      t.heartbeatMs = goDuration(v, '--heartbeat');
    },
  },
  {
    names: ['ttl'],
    takesValue: true,
    set: (t, v) => {
      t.ttlMs = goDuration(v, '--ttl');
    },
  },
  {
    names: ['delay'],
    takesValue: true,
    set: (t, v) => {
      t.delayMs = goDuration(v, '--delay');
    },
  },
  { names: ['discovery-opt'], takesValue: true, set: (t, v) => discoveryOpt(t.discoveryOpts, v) },
];

const LIST_FLAGS: FlagSpec<ParsedList>[] = [
  {
    names: ['timeout'],
    takesValue: true,
    set: (t, v) => {
      t.timeoutMs = goDuration(v, '--timeout');
    },
  },
  { names: ['discovery-opt'], takesValue: true, set: (t, v) => discoveryOpt(t.discoveryOpts, v) },
];

const LOG_LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

const bool = (value: string, shown: string) => {
  if (['', 'true', '1'].includes(value)) return true;
  if (['false', '0'].includes(value)) return false;
  throw new ConfigError(`invalid boolean value "${value}" for flag ${shown}`);
};

/** A duration as classic read it with Go's time.ParseDuration (a sign allowed), failing in classic's words. */
const goDuration = (value: string, what: string) => {
  const ms = parseDuration(value);
  if (ms !== undefined) return ms;
  const unit = /^[+-]?(?:\d+\.?\d*|\.\d+)([^\d.]+)/.exec(value)?.[1];
  // Go's own words (time.ParseDuration), as the Go that built classic swarm wrote them: Go 1.15 added quotes
  const why = /^[+-]?(?:\d+\.?\d*|\.\d+)$/.test(value) ? `missing unit in duration ${value}` : unit ? `unknown unit ${unit} in duration ${value}` : `invalid duration ${value}`;
  throw new ConfigError(`invalid ${what}: time: ${why}`);
};

/** dockerd's flag and values; global as `-l` is, and taken after `manage` too. */
const LOG_FORMAT_FLAG: FlagSpec = {
  names: ['log-format'],
  takesValue: true,
  set: (t, v, s) => {
    if (v !== 'text' && v !== 'json') throw new ConfigError(`invalid value "${v}" for flag ${s} (one of text, json)`);
    t.flags.logFormat = v;
  },
};

const GLOBAL_FLAGS: FlagSpec[] = [
  {
    names: ['debug'],
    takesValue: false,
    set: (t, v, s) => {
      if (bool(v, s)) t.flags.logLevel = 'debug';
    },
  },
  {
    names: ['log-level', 'l'],
    takesValue: true,
    set: (t, v, s) => {
      if (!LOG_LEVELS.includes(v as LogLevel)) throw new ConfigError(`invalid value "${v}" for flag ${s} (one of ${LOG_LEVELS.join(', ')})`);
      t.flags.logLevel = v as LogLevel;
    },
  },
  LOG_FORMAT_FLAG,
  {
    names: ['experimental'],
    takesValue: false,
    set: (t, v, s) => {
      t.flags.experimental = bool(v, s);
    },
  },
];

const MANAGE_FLAGS: FlagSpec[] = [
  LOG_FORMAT_FLAG,
  {
    names: ['host', 'H'],
    takesValue: true,
    set: (t, v) => {
      t.flags.hosts = [...(t.flags.hosts ?? []), v];
    },
  },
  {
    names: ['tls'],
    takesValue: false,
    set: (t, v, s) => {
      t.flags.tls = { ...t.flags.tls, enabled: bool(v, s) };
    },
  },
  {
    names: ['tlsverify'],
    takesValue: false,
    set: (t, v, s) => {
      t.flags.tls = { ...t.flags.tls, verify: bool(v, s) };
    },
  },
  {
    names: ['tlscacert'],
    takesValue: true,
    set: (t, v) => {
      t.flags.tls = { ...t.flags.tls, ca: v };
    },
  },
  {
    names: ['tlscert'],
    takesValue: true,
    set: (t, v) => {
      t.flags.tls = { ...t.flags.tls, cert: v };
    },
  },
  {
    names: ['tlskey'],
    takesValue: true,
    set: (t, v) => {
      t.flags.tls = { ...t.flags.tls, key: v };
    },
  },
  {
    names: ['strategy'],
    takesValue: true,
    set: (t, v) => {
      t.flags.strategy = v;
    },
  },
  {
    names: ['filter', 'f'],
    takesValue: true,
    set: (t, v) => {
      t.flags.filters = [
        ...(t.flags.filters ?? []),
        ...v
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean),
      ];
    },
  },
  {
    names: ['heartbeat'],
    takesValue: true,
    set: (t, v) => {
      const ms = goDuration(v, '--heartbeat');
      if (ms < 1000) throw new ConfigError('--heartbeat should be at least one second');
      t.flags.heartbeat = `${ms}ms`;
    },
  },
  {
    names: ['engine-refresh-min-interval'],
    takesValue: true,
    set: (t, v, s) => {
      const ms = goDuration(v, `value "${v}" for flag ${s}`);
      if (ms <= 0) throw new ConfigError('min refresh interval should be a positive number');
      t.flags.engine = { ...t.flags.engine, refreshMinInterval: `${ms}ms` };
    },
  },
  {
    names: ['engine-refresh-max-interval'],
    takesValue: true,
    set: (t, v, s) => {
      const ms = goDuration(v, `value "${v}" for flag ${s}`);
      if (ms < 0) throw new ConfigError('max refresh interval cannot be less than min refresh interval');
      t.flags.engine = { ...t.flags.engine, refreshMaxInterval: `${ms}ms` };
    },
  },
  {
    names: ['engine-failure-retry'],
    takesValue: true,
    set: (t, v, s) => {
      if (!/^[+-]?\d+$/.test(v)) throw new ConfigError(`invalid value "${v}" for flag ${s}: parse error`);
      if (Number(v) <= 0) throw new ConfigError('invalid failure retry count');
      t.flags.engine = { ...t.flags.engine, failureRetry: Number(v) };
    },
  },
  {
    // dockerd's flag: a plugin's name, found where dockerd finds it
    names: ['authorization-plugin'],
    takesValue: true,
    set: (t, v) => {
      t.flags.authorizationPlugins = [...(t.flags.authorizationPlugins ?? []), v];
    },
  },
  {
    names: ['cluster-opt'],
    takesValue: true,
    set: (t, v, s) => {
      const eq = v.indexOf('=');
      const key = v.slice(0, eq);
      const check = CLUSTER_OPTS[key];
      if (eq <= 0) throw new ConfigError(`invalid value "${v}" for flag ${s} (expected key=value)`);
      if (!check) throw new ConfigError(`unsupported cluster option "${key}" (known: ${Object.keys(CLUSTER_OPTS).join(', ')})`);
      const problem = check(v.slice(eq + 1));
      if (problem) throw new ConfigError(problem);
      t.flags.clusterOpts = { ...t.flags.clusterOpts, [key]: v.slice(eq + 1) };
    },
  },
  {
    names: ['api-enable-cors', 'cors'],
    takesValue: false,
    set: (t, v, s) => {
      t.flags.cors = bool(v, s);
    },
  },
  {
    names: ['config'],
    takesValue: true,
    set: (t, v) => {
      t.configFile = v;
    },
  },
  // classic's flags that Skep takes as classic did; replication itself is the manager-HA work still to come
  {
    names: ['cluster-driver', 'c'],
    takesValue: true,
    set: (_t, v) => {
      if (v === 'mesos-experimental') throw new ConfigError('unsupported cluster "mesos-experimental" (Skep drives Docker engines only: --cluster-driver swarm)');
      if (v !== 'swarm') throw new ConfigError(`unsupported cluster "${v}"`);
    },
  },
  {
    names: ['engine-refresh-retry'],
    takesValue: true,
    set: (t, v) => {
      t.refreshRetry = v;
    },
  },
  {
    names: ['advertise', 'addr'],
    takesValue: true,
    set: (t, v) => {
      t.flags.advertise = v;
    },
  },
  {
    names: ['replication'],
    takesValue: false,
    set: (t, v, s) => {
      t.flags.replication = bool(v, s);
    },
  },
  {
    names: ['replication-ttl'],
    takesValue: true,
    set: (t, v) => {
      t.flags.replicationTtl = `${goDuration(v, '--replication-ttl')}ms`;
    },
  },
  {
    names: ['discovery-opt'],
    takesValue: true,
    set: (t, v) => {
      t.flags.discoveryOpts = { ...t.flags.discoveryOpts };
      discoveryOpt(t.flags.discoveryOpts, v);
    },
  },
  {
    names: ['refresh-on-node-filter'],
    takesValue: false,
    set: (t, v, s) => {
      t.flags.refreshOnNodeFilter = bool(v, s);
    },
  },
  {
    names: ['status-addr'],
    takesValue: true,
    set: (t, v, s) => {
      if (!LISTEN_HOST_PORT.test(v)) throw new ConfigError(`invalid value "${v}" for flag ${s} (expected host:port, e.g. 127.0.0.1:9323)`);
      t.flags.status = { address: v };
    },
  },
  {
    names: ['shutdown-timeout'],
    takesValue: true,
    set: (t, v) => {
      t.flags.shutdownTimeout = `${goDuration(v, '--shutdown-timeout')}ms`;
    },
  },
  {
    names: ['state-file'],
    takesValue: true,
    set: (t, v) => {
      t.flags.stateFile = v;
    },
  },
  {
    names: ['container-name-refresh-filter'],
    takesValue: true,
    set: (t, v) => {
      t.flags.containerNameRefreshFilter = v;
    },
  },
];

/** Classic's address check for `--advertise` (cli/join.go checkAddrFormat): host:port with a port in 1-65535. */
export function checkAddrFormat(addr: string): boolean {
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(addr);
  return m !== null && Number(m[2]) > 0 && Number(m[2]) <= 65535;
}

const isHelp = (arg: string) => ['-h', '--help', '-help'].includes(arg);

/**
 * Reads one flag at args[i] (Go style: `-name`, `--name`, `=value` or the next argument).
 * Returns how many arguments it used, or 0 when args[i] is not a flag.
 */
function readFlag<T>(args: string[], i: number, specs: FlagSpec<T>[], target: T, where: string): number {
  const arg = args[i]!;
  if (!arg.startsWith('-') || arg === '-' || arg === '--') return 0;
  const body = arg.replace(/^--?/, '');
  const eq = body.indexOf('=');
  const name = eq < 0 ? body : body.slice(0, eq);
  const spec = specs.find((s) => s.names.includes(name));
  if (!spec) throw new ConfigError(`${where}: flag provided but not defined: ${arg.split('=')[0]} (see 'swarm ${where === 'swarm' ? '' : 'manage '}--help')`);
  const shown = `-${name.length > 1 ? '-' : ''}${name}`;
  if (eq >= 0) {
    spec.set(target, body.slice(eq + 1), shown);
    return 1;
  }
  if (!spec.takesValue) {
    spec.set(target, '', shown);
    return 1;
  }
  const value = args[i + 1];
  if (value === undefined) throw new ConfigError(`${where}: flag needs an argument: ${shown}`);
  spec.set(target, value, shown);
  return 2;
}

/**
 * Parses classic swarm's command line: `swarm [global flags] manage [flags] <discovery>`, e.g.
 * `swarm -l debug -experimental manage -H 127.0.0.1:4000 --heartbeat=1s 10.0.0.1:2375,10.0.0.2:2375`.
 * `env` supplies SWARM_HOST and SWARM_DISCOVERY as classic did.
 */
export function parseArgs(args: string[], env: Record<string, string | undefined> = {}): ParsedArgs {
  const target: ParsedManage = { flags: {} };
  let i = 0;
  while (i < args.length && args[i]!.startsWith('-')) {
    if (isHelp(args[i]!)) return { command: 'help' };
    if (['-v', '--version', '-version'].includes(args[i]!)) return { command: 'version' };
    i += readFlag(args, i, GLOBAL_FLAGS, target, 'swarm');
  }
  const command = args[i++];
  if (command === undefined || command === 'help' || command === 'h') return { command: 'help', topic: args[i] };
  if (command === 'join' || command === 'j') return parseJoin(args.slice(i), env);
  if (command === 'list' || command === 'l') return parseList(args.slice(i), env, target.flags);
  if (command === 'node') return { command: 'node', args: args.slice(i) };
  if (command !== 'manage' && command !== 'm') throw new ConfigError(`swarm: unknown command "${command}"; see 'swarm --help'`);

  const positional = readCommand(args.slice(i), MANAGE_FLAGS, target, 'manage');
  if (!positional) return { command: 'help', topic: 'manage' };
  if (positional.length > 1) throw new ConfigError(`manage: expected one discovery argument, got ${positional.length}: ${positional.join(' ')}`);
  const discovery = positional[0] ?? env.SWARM_DISCOVERY;
  if (discovery) target.flags.nodes = discovery;
  if (!target.flags.hosts && env.SWARM_HOST) target.flags.hosts = [env.SWARM_HOST];
  if (target.flags.advertise === undefined && env.SWARM_ADVERTISE) target.flags.advertise = env.SWARM_ADVERTISE;
  checkManage(target);
  return { command: 'manage', ...target };
}

/** What classic's `manage` refused before it started, in its words (cli/manage.go). */
function checkManage({ flags, refreshRetry }: ParsedManage): void {
  const [min, max] = [flags.engine?.refreshMinInterval, flags.engine?.refreshMaxInterval].map((d) => parseDuration(d));
  if (min !== undefined && max !== undefined && max < min) throw new ConfigError('max refresh interval cannot be less than min refresh interval');
  if (refreshRetry !== undefined && refreshRetry !== '3') throw new ConfigError('--engine-refresh-retry is deprecated. Use --engine-failure-retry');
  if (!flags.replication) return;
  if (!flags.advertise) throw new ConfigError('--advertise address must be provided when using --leader-election');
  if (!checkAddrFormat(flags.advertise)) throw new ConfigError('--advertise should be of the form ip:port or hostname:port');
  if ((parseDuration(flags.replicationTtl) ?? 1) <= 0) throw new ConfigError('--replication-ttl should be a positive number');
}

/** A subcommand's flags into `target`, and its other arguments; undefined when it asked for help. */
function readCommand<T>(args: string[], specs: FlagSpec<T>[], target: T, where: string): string[] | undefined {
  const positional: string[] = [];
  for (let i = 0; i < args.length;) {
    if (isHelp(args[i]!)) return undefined;
    const used = readFlag(args, i, specs, target, where);
    if (used > 0) i += used;
    else positional.push(args[i++]!);
  }
  return positional;
}

function parseList(args: string[], env: Record<string, string | undefined>, flags: SwarmConfig): ParsedArgs {
  const target: ParsedList = { timeoutMs: 10_000, discoveryOpts: {} };
  const positional = readCommand(args, LIST_FLAGS, target, 'list');
  if (!positional) return { command: 'help', topic: 'list' };
  const discovery = positional.length === 1 ? positional[0] : env.SWARM_DISCOVERY;
  if (!discovery) throw new ConfigError("discovery required to list a cluster. See 'swarm list --help'.");
  if (target.timeoutMs <= 0) throw new ConfigError('--timeout should be a positive number');
  return { command: 'list', discovery, flags, ...target };
}

function parseJoin(args: string[], env: Record<string, string | undefined>): ParsedArgs {
  const target: ParsedJoin = { heartbeatMs: 60_000, ttlMs: 180_000, delayMs: 0, discoveryOpts: {}, advertise: env.SWARM_ADVERTISE };
  const positional = readCommand(args, JOIN_FLAGS, target, 'join');
  if (!positional) return { command: 'help', topic: 'join' };
  // classic's checks and words, in its order (cli/join.go)
  const discovery = positional.length === 1 ? positional[0] : env.SWARM_DISCOVERY;
  if (!discovery) throw new ConfigError("discovery required to join a cluster. See 'swarm join --help'.");
  if (!target.advertise) throw new ConfigError('missing mandatory --advertise flag');
  if (!checkAddrFormat(target.advertise)) throw new ConfigError('--advertise should be of the form ip:port or hostname:port');
  if (target.delayMs < 0) throw new ConfigError('--delay should not be a negative number');
  if (target.heartbeatMs < 1000) throw new ConfigError('--heartbeat should be at least one second');
  if (target.ttlMs <= target.heartbeatMs) throw new ConfigError('--ttl must be strictly superior to the heartbeat value');
  return { command: 'join', ...target, advertise: target.advertise, discovery };
}

export const USAGE = `Usage: swarm [global options] command [options] [arguments]

A Docker-native clustering system (Skep, compatible with classic swarm).

Commands:
  manage, m   Manage a docker cluster
  join, j     Keep an engine registered in a discovery backend (etcd://)
  list, l     List the nodes a discovery backend holds
  node        Node maintenance on a running manager: ls, update (-H or $DOCKER_HOST names it)

Global options:
  --debug                 debug mode (same as --log-level=debug)
  --log-level, -l value   one of debug, info, warn, error (default: info)
  --log-format value      text or json (default: text)
  --experimental          enable experimental features
  --help, -h              show help
  --version, -v           print the version
`;

export const MANAGE_USAGE = `Usage: swarm manage [options] <discovery>

Manage a docker cluster. <discovery> is nodes://ip:port,ip:port, a bare ip:port,ip:port list (ranges such as
10.0.0.[10:20]:2375 are expanded), unix:///path, file:///path (one address per line, followed as it changes)
or etcd://host:port[,host:port]/path (nodes registered with swarm join, followed live). Without one, the config file's nodes are used, and
without those the local engine (unix:///var/run/docker.sock). Flags override the config file.

Options:
  --host, -H value                     address to listen on: tcp://ip:port, ip:port or unix:///path (repeatable;
                                       default tcp://127.0.0.1:2375) [$SWARM_HOST]
  --strategy value                     placement strategy (default: spread)
  --filter, -f value                   filter to use (repeatable; default: health, port, containerslots,
                                       dependency, affinity, constraint)
  --heartbeat value                    discovery heartbeat (default: 60s)
  --engine-refresh-min-interval value  lower bound of the safety-net refresh (default: 30s)
  --engine-refresh-max-interval value  upper bound of the safety-net refresh (default: 60s)
  --engine-failure-retry value         consecutive failures before a node is unhealthy (default: 3)
  --cluster-opt value                  cluster option key=value (repeatable): swarm.overcommit, swarm.createretry
  --authorization-plugin value         Docker authorization plugin to ask about every request (repeatable,
                                       in order; found as dockerd finds it, e.g. /run/docker/plugins/NAME.sock)
  --api-enable-cors, --cors            enable CORS headers in the API
  --config value                       config file (default: searched from the current directory)
  --cluster-driver, -c value           cluster driver (only swarm, the default)
  --discovery-opt value                discovery option key=value (repeatable)
  --refresh-on-node-filter             re-read a node's containers when a list filters on that node
  --container-name-refresh-filter value
                                       re-read every node's containers when a list filters on this name
  --advertise, --addr value            this manager's address, for --replication [$SWARM_ADVERTISE]
  --replication                        manager replication: leader election on etcd, replicas forward to the primary
  --replication-ttl value              leader lease TTL (default: 2s)
  --status-addr value                  operator listener, host:port: /metrics, /healthz, /readyz and the status
                                       page (off by default; see docs/operations.md)
  --shutdown-timeout value             on SIGTERM, how long running requests may finish (default: 10s)
  --state-file value                   node maintenance state (default: skep-nodes.json beside the config)
  --tls                                serve clients over TLS (implied by --tlsverify)
  --tlsverify                          require client certificates signed by --tlscacert
  --tlscacert, --tlscert, --tlskey     CA, certificate and key files; unless the config file says otherwise,
                                       they are also what the manager uses towards engines
`;

export const JOIN_USAGE = `Usage: swarm join [options] <discovery>

Registers an engine address in a discovery backend and keeps it there while this runs; when it stops, the
node leaves the cluster once the TTL has passed. <discovery> is etcd://host:port[,host:port]/path.

Options:
  --advertise, --addr value   address of the engine to register, ip:port (required) [$SWARM_ADVERTISE]
  --heartbeat value           how often the registration is renewed (default: 60s)
  --ttl value                 how long a registration outlives its last renewal (default: 180s)
  --delay value               a random delay in [0s, delay] before the first registration (default: 0s)
  --discovery-opt value       discovery option key=value (repeatable)
`;

export const LIST_USAGE = `Usage: swarm list [options] <discovery>

Prints the nodes a discovery backend holds, one per line: nodes://..., file:///path or etcd://host:port/path.

Options:
  --timeout value         how long to wait for the backend (default: 10s)
  --discovery-opt value   discovery option key=value (repeatable)
`;
