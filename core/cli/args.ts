import { parseDuration } from '../../config/duration.js';
import { ConfigError } from '../../config/errors.js';
import type { SwarmConfig } from '../../config/types.js';
import { commandNamed, HELP_COMMAND, SWARM } from './commands.js';
import { COMPLETION, isShell, SHELLS, type Shell } from './completion-flags.js';
import { discoveryFrom } from './discovery-flags.js';
import { JOIN, type ParsedJoin } from './join-flags.js';
import { LIST, type ParsedList } from './list-flags.js';
import { DEPRECATED_REFRESH_RETRY, MANAGE, type ParsedManage } from './manage-flags.js';
import { NODE } from './node-flags.js';
import { readFlags, type Env } from './read-flags.js';

export type { ParsedJoin } from './join-flags.js';
export type { ParsedManage } from './manage-flags.js';

export type ParsedArgs =
  | { command: 'help'; topic?: string }
  | { command: 'version' }
  | ({ command: 'manage' } & ParsedManage)
  | ({ command: 'join' } & Required<ParsedJoin>)
  | ({ command: 'list'; discovery: string; flags: SwarmConfig } & ParsedList)
  | { command: 'node'; args: string[] }
  | { command: 'completion'; shell: Shell };

const ADVERTISE_FORM = '--advertise should be of the form ip:port or hostname:port';

/**
 * Classic's address check for `--advertise` (cli/join.go checkAddrFormat):
 * host:port with a port in 1-65535.
 */
export function checkAddrFormat(addr: string): boolean {
  const m = /^(\[[^\]]*\]|[^:]*):(\d+)$/.exec(addr);
  return m !== null && Number(m[2]) > 0 && Number(m[2]) <= 65535;
}

/**
 * Parses classic swarm's command line: `swarm [global flags] manage [flags] <discovery>`, e.g.
 *
 * ```
 * swarm -l debug -experimental manage -H 127.0.0.1:4000 --heartbeat=1s 10.0.0.1:2375,10.0.0.2:2375
 * ```
 *
 * `env` supplies the variables the command table names (SWARM_HOST, SWARM_DISCOVERY...)
 * as classic read them.
 */
export function parseArgs(args: string[], env: Env = {}): ParsedArgs {
  const target: ParsedManage = { flags: {} };
  const global = readFlags(args, SWARM, target, { env, untilArgument: true });
  if (global.asked) return { command: global.asked };
  const [name, ...rest] = global.args;
  const command = commandNamed(name);
  if (name === undefined || command === HELP_COMMAND) return { command: 'help', topic: rest[0] };
  if (command === JOIN) return parseJoin(rest, env);
  if (command === LIST) return parseList(rest, env, target.flags);
  if (command === NODE) return { command: 'node', args: rest };
  if (command === COMPLETION) return parseCompletion(rest, env);
  if (command !== MANAGE)
    throw new ConfigError(`swarm: unknown command "${name}"; see 'swarm --help'`);

  const read = readFlags(rest, MANAGE, target, { env });
  if (read.asked) return { command: 'help', topic: 'manage' };
  if (read.args.length > 1) {
    throw new ConfigError(
      `manage: expected one discovery argument, got ${read.args.length}: ${read.args.join(' ')}`,
    );
  }
  const discovery = discoveryFrom(MANAGE.argument!, read.args, env);
  if (discovery) target.flags.nodes = discovery;
  checkManage(target);
  return { command: 'manage', ...target };
}

/** What classic's `manage` refused before it started, in its words (cli/manage.go). */
function checkManage({ flags, refreshRetry }: ParsedManage): void {
  const [min, max] = [flags.engine?.refreshMinInterval, flags.engine?.refreshMaxInterval].map((d) =>
    parseDuration(d),
  );
  if (min !== undefined && max !== undefined && max < min) {
    throw new ConfigError('max refresh interval cannot be less than min refresh interval');
  }
  if (refreshRetry !== undefined && refreshRetry !== DEPRECATED_REFRESH_RETRY) {
    throw new ConfigError('--engine-refresh-retry is deprecated. Use --engine-failure-retry');
  }
  if (!flags.replication) return;
  if (!flags.advertise)
    throw new ConfigError('--advertise address must be provided when using --leader-election');
  if (!checkAddrFormat(flags.advertise)) throw new ConfigError(ADVERTISE_FORM);
  if ((parseDuration(flags.replicationTtl) ?? 1) <= 0) {
    throw new ConfigError('--replication-ttl should be a positive number');
  }
}

function parseList(args: string[], env: Env, flags: SwarmConfig): ParsedArgs {
  const target: ParsedList = { timeoutMs: 0, discoveryOpts: {} };
  const read = readFlags(args, LIST, target, { env });
  if (read.asked) return { command: 'help', topic: 'list' };
  const discovery = discoveryFrom(LIST.argument!, read.args, env);
  if (!discovery)
    throw new ConfigError("discovery required to list a cluster. See 'swarm list --help'.");
  if (target.timeoutMs <= 0) throw new ConfigError('--timeout should be a positive number');
  return { command: 'list', discovery, flags, ...target };
}

function parseJoin(args: string[], env: Env): ParsedArgs {
  const target: ParsedJoin = { heartbeatMs: 0, ttlMs: 0, delayMs: 0, discoveryOpts: {} };
  const read = readFlags(args, JOIN, target, { env });
  if (read.asked) return { command: 'help', topic: 'join' };
  // classic's checks and words, in its order (cli/join.go)
  const discovery = discoveryFrom(JOIN.argument!, read.args, env);
  if (!discovery)
    throw new ConfigError("discovery required to join a cluster. See 'swarm join --help'.");
  if (!target.advertise) throw new ConfigError('missing mandatory --advertise flag');
  if (!checkAddrFormat(target.advertise)) throw new ConfigError(ADVERTISE_FORM);
  if (target.delayMs < 0) throw new ConfigError('--delay should not be a negative number');
  if (target.heartbeatMs < 1000) throw new ConfigError('--heartbeat should be at least one second');
  if (target.ttlMs <= target.heartbeatMs) {
    throw new ConfigError('--ttl must be strictly superior to the heartbeat value');
  }
  return { command: 'join', ...target, advertise: target.advertise, discovery };
}

/** `swarm completion SHELL`: a shell it knows, else a usage error as the other commands' are. */
function parseCompletion(args: string[], env: Env): ParsedArgs {
  const read = readFlags(args, COMPLETION, {}, { env });
  if (read.asked) return { command: 'help', topic: 'completion' };
  const [shell, ...extra] = read.args;
  const known = `${SHELLS.join(' or ')} (see 'swarm completion --help')`;
  if (shell === undefined) throw new ConfigError(`completion: expected a shell: ${known}`);
  if (!isShell(shell)) throw new ConfigError(`completion: unknown shell "${shell}": ${known}`);
  if (extra.length > 0) {
    throw new ConfigError(
      `completion: expected one shell, got ${read.args.length}: ${read.args.join(' ')}`,
    );
  }
  return { command: 'completion', shell };
}
