import { parseDuration } from '../../config/duration.js';
import { ConfigError } from '../../config/errors.js';
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
}

/** `swarm join`: keep one engine registered in a discovery backend while this runs. */
export interface ParsedJoin {
  advertise?: string;
  heartbeatMs: number;
  ttlMs: number;
  discovery?: string;
}

export type ParsedArgs =
  | { command: 'help'; topic?: string }
  | { command: 'version' }
  | ({ command: 'manage' } & ParsedManage)
  | ({ command: 'join' } & Required<ParsedJoin>)
  | { command: 'list'; discovery: string; flags: SwarmConfig };

const JOIN_FLAGS: FlagSpec<ParsedJoin>[] = [
  { names: ['advertise', 'addr'], takesValue: true, set: (t, v) => { t.advertise = v; } },
  { names: ['heartbeat'], takesValue: true, set: (t, v, s) => { t.heartbeatMs = duration(v, s); } },
  { names: ['ttl'], takesValue: true, set: (t, v, s) => { t.ttlMs = duration(v, s); } },
];

const LOG_LEVELS: LogLevel[] = ['debug', 'info', 'warn', 'error'];

const bool = (value: string, shown: string) => {
  if (['', 'true', '1'].includes(value)) return true;
  if (['false', '0'].includes(value)) return false;
  throw new ConfigError(`invalid boolean value "${value}" for flag ${shown}`);
};

const duration = (value: string, shown: string) => {
  const ms = parseDuration(value);
  if (ms === undefined) throw new ConfigError(`invalid duration "${value}" for flag ${shown} (use e.g. 30s, 1m, 500ms)`);
  return ms;
};

const KNOWN_CLUSTER_OPTS: Record<string, (v: string) => boolean> = {
  'swarm.overcommit': (v) => /^-?\d+(\.\d+)?$/.test(v) && Number(v) > -1,
  'swarm.createretry': (v) => /^\d+$/.test(v),
};

const GLOBAL_FLAGS: FlagSpec[] = [
  { names: ['debug'], takesValue: false, set: (t, v, s) => { if (bool(v, s)) t.flags.logLevel = 'debug'; } },
  {
    names: ['log-level', 'l'],
    takesValue: true,
    set: (t, v, s) => {
      if (!LOG_LEVELS.includes(v as LogLevel)) throw new ConfigError(`invalid value "${v}" for flag ${s} (one of ${LOG_LEVELS.join(', ')})`);
      t.flags.logLevel = v as LogLevel;
    },
  },
  { names: ['experimental'], takesValue: false, set: (t, v, s) => { t.flags.experimental = bool(v, s); } },
];

const MANAGE_FLAGS: FlagSpec[] = [
  { names: ['host', 'H'], takesValue: true, set: (t, v) => { t.flags.hosts = [...(t.flags.hosts ?? []), v]; } },
  { names: ['tls'], takesValue: false, set: (t, v, s) => { t.flags.tls = { ...t.flags.tls, enabled: bool(v, s) }; } },
  { names: ['tlsverify'], takesValue: false, set: (t, v, s) => { t.flags.tls = { ...t.flags.tls, verify: bool(v, s) }; } },
  { names: ['tlscacert'], takesValue: true, set: (t, v) => { t.flags.tls = { ...t.flags.tls, ca: v }; } },
  { names: ['tlscert'], takesValue: true, set: (t, v) => { t.flags.tls = { ...t.flags.tls, cert: v }; } },
  { names: ['tlskey'], takesValue: true, set: (t, v) => { t.flags.tls = { ...t.flags.tls, key: v }; } },
  { names: ['strategy'], takesValue: true, set: (t, v) => { t.flags.strategy = v; } },
  {
    names: ['filter', 'f'],
    takesValue: true,
    set: (t, v) => { t.flags.filters = [...(t.flags.filters ?? []), ...v.split(',').map((f) => f.trim()).filter(Boolean)]; },
  },
  { names: ['heartbeat'], takesValue: true, set: (t, v, s) => { t.flags.heartbeat = duration(v, s); } },
  {
    names: ['engine-refresh-min-interval'],
    takesValue: true,
    set: (t, v, s) => { t.flags.engine = { ...t.flags.engine, refreshMinInterval: duration(v, s) }; },
  },
  {
    names: ['engine-refresh-max-interval'],
    takesValue: true,
    set: (t, v, s) => { t.flags.engine = { ...t.flags.engine, refreshMaxInterval: duration(v, s) }; },
  },
  {
    names: ['engine-failure-retry'],
    takesValue: true,
    set: (t, v, s) => {
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new ConfigError(`invalid value "${v}" for flag ${s} (a whole number of at least 1)`);
      t.flags.engine = { ...t.flags.engine, failureRetry: Number(v) };
    },
  },
  {
    names: ['cluster-opt'],
    takesValue: true,
    set: (t, v, s) => {
      const eq = v.indexOf('=');
      const key = v.slice(0, eq);
      const check = KNOWN_CLUSTER_OPTS[key];
      if (eq <= 0) throw new ConfigError(`invalid value "${v}" for flag ${s} (expected key=value)`);
      if (!check) throw new ConfigError(`unsupported cluster option "${key}" (known: ${Object.keys(KNOWN_CLUSTER_OPTS).join(', ')})`);
      if (!check(v.slice(eq + 1))) throw new ConfigError(`invalid value "${v.slice(eq + 1)}" for cluster option ${key}`);
      t.flags.clusterOpts = { ...t.flags.clusterOpts, [key]: v.slice(eq + 1) };
    },
  },
  { names: ['api-enable-cors', 'cors'], takesValue: false, set: (t, v, s) => { t.flags.cors = bool(v, s); } },
  { names: ['config', 'c'], takesValue: true, set: (t, v) => { t.configFile = v; } },
];

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
  if (command === 'list' || command === 'l') {
    const [discovery, ...extra] = args.slice(i);
    if (discovery === undefined || isHelp(discovery)) return { command: 'help', topic: 'list' };
    if (extra.length > 0) throw new ConfigError(`list: expected one discovery argument, got ${1 + extra.length}`);
    return { command: 'list', discovery, flags: target.flags };
  }
  if (command !== 'manage' && command !== 'm') throw new ConfigError(`swarm: unknown command "${command}"; see 'swarm --help'`);

  const positional: string[] = [];
  while (i < args.length) {
    const arg = args[i]!;
    if (isHelp(arg)) return { command: 'help', topic: 'manage' };
    const used = readFlag(args, i, MANAGE_FLAGS, target, 'manage');
    if (used > 0) {
      i += used;
      continue;
    }
    positional.push(arg);
    i++;
  }
  if (positional.length > 1) throw new ConfigError(`manage: expected one discovery argument, got ${positional.length}: ${positional.join(' ')}`);
  const discovery = positional[0] ?? env.SWARM_DISCOVERY;
  if (discovery) target.flags.nodes = discovery;
  if (!target.flags.hosts && env.SWARM_HOST) target.flags.hosts = [env.SWARM_HOST];
  return { command: 'manage', ...target };
}

function parseJoin(args: string[], env: Record<string, string | undefined>): ParsedArgs {
  const target: ParsedJoin = { heartbeatMs: 60_000, ttlMs: 180_000 };
  const positional: string[] = [];
  for (let i = 0; i < args.length; ) {
    if (isHelp(args[i]!)) return { command: 'help', topic: 'join' };
    const used = readFlag(args, i, JOIN_FLAGS, target, 'join');
    if (used > 0) i += used;
    else positional.push(args[i++]!);
  }
  const discovery = positional[0] ?? env.SWARM_DISCOVERY;
  if (!target.advertise) throw new ConfigError('join: --advertise ip:port is required (the engine address to register)');
  if (!discovery) throw new ConfigError('join: a discovery argument is required, e.g. etcd://10.0.0.1:2379/swarm');
  if (positional.length > 1) throw new ConfigError(`join: expected one discovery argument, got ${positional.length}`);
  if (target.ttlMs <= target.heartbeatMs) throw new ConfigError('join: --ttl must be longer than --heartbeat');
  return { command: 'join', advertise: target.advertise, heartbeatMs: target.heartbeatMs, ttlMs: target.ttlMs, discovery };
}

export const USAGE = `Usage: swarm [global options] command [options] [arguments]

A Docker-native clustering system (Skep, compatible with classic swarm).

Commands:
  manage, m   Manage a docker cluster
  join, j     Keep an engine registered in a discovery backend (etcd://)
  list, l     List the nodes a discovery backend holds

Global options:
  --debug                 debug mode (same as --log-level=debug)
  --log-level, -l value   one of debug, info, warn, error (default: info)
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
  --api-enable-cors, --cors            enable CORS headers in the API
  --config, -c value                   config file (default: searched from the current directory)
  --tls                                serve clients over TLS (implied by --tlsverify)
  --tlsverify                          require client certificates signed by --tlscacert
  --tlscacert, --tlscert, --tlskey     CA, certificate and key files; unless the config file says otherwise,
                                       they are also what the manager uses towards engines
`;

export const JOIN_USAGE = `Usage: swarm join [options] <discovery>

Registers an engine address in a discovery backend and keeps it there while this runs; when it stops, the
node leaves the cluster once the TTL has passed. <discovery> is etcd://host:port[,host:port]/path.

Options:
  --advertise, --addr value   address of the engine to register, ip:port (required)
  --heartbeat value           how often the registration is renewed (default: 60s)
  --ttl value                 how long a registration outlives its last renewal (default: 180s)
`;

export const LIST_USAGE = `Usage: swarm list <discovery>

Prints the nodes a discovery backend holds, one per line: nodes://..., file:///path or etcd://host:port/path.
`;
