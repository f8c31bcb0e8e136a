import { ConfigError } from '../../config/errors.js';
import { dashed, invocation, type Command, type CommandData, type Flag } from './flag.js';

export type Env = Record<string, string | undefined>;

export interface ReadOptions {
  env: Env;
  /** Flags end at the first argument, as the program's global flags end at the command. */
  untilArgument?: boolean;
}

export interface FlagsRead {
  /** `--help` or `--version` was given: nothing else was read. */
  asked?: 'help' | 'version';
  /** The arguments that are not flags, in their order. */
  args: string[];
}

/**
 * What a command says when it does not know a flag, or one lacks its value,
 * in classic's or the docker CLI's words.
 */
const WORDS = {
  go: {
    unknown: (command: CommandData, flag: string) => {
      return `${command.names[0]}: flag provided but not defined: ${flag} (see '${invocation(command)} --help')`;
    },
    needsValue: (command: CommandData, flag: string) =>
      `${command.names[0]}: flag needs an argument: ${flag}`,
  },
  'docker-cli': {
    unknown: (command: CommandData, flag: string) =>
      `unknown flag: ${flag} (see '${invocation(command)} --help')`,
    needsValue: (_command: CommandData, flag: string) => `flag needs an argument: ${flag}`,
  },
};

const isFlag = (arg: string) => arg.startsWith('-') && arg !== '-' && arg !== '--';

/**
 * Reads a command's flags into `target` as Go's flag package read classic's (`-name` or `--name`,
 * then `=value` or the next argument), wherever they are among its arguments, or up to the first
 * with `untilArgument`. A flag not given is then read from its environment variable, and, where
 * the command applies them, from its default.
 */
export function readFlags<T>(
  args: readonly string[],
  command: Command<T>,
  target: T,
  options: ReadOptions,
): FlagsRead {
  const { env, untilArgument = false } = options;
  const given = new Set<Flag<T>>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!isFlag(arg) && untilArgument) {
      rest.push(...args.slice(i));
      break;
    }
    if (!isFlag(arg)) {
      rest.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq < 0 ? body : body.slice(0, eq);
    const flag = command.flags.find((f) => f.names.includes(name));
    if (!flag)
      throw new ConfigError(WORDS[command.flagErrors].unknown(command, arg.split('=')[0]!));
    if (flag.asks) return { asked: flag.asks, args: [] };
    const shown = dashed(name);
    let value = eq < 0 ? undefined : body.slice(eq + 1);
    if (value === undefined) value = flag.kind === 'bool' ? 'true' : args[++i];
    if (value === undefined)
      throw new ConfigError(WORDS[command.flagErrors].needsValue(command, shown));
    flag.set(target, value, shown);
    given.add(flag);
  }
  readUnset(command, target, env, given);
  return { args: rest };
}

/** The environment, then the defaults, for the flags the command line did not give. */
function readUnset<T>(command: Command<T>, target: T, env: Env, given: Set<Flag<T>>): void {
  for (const flag of command.flags) {
    if (given.has(flag)) continue;
    const fromEnv = flag.env ? env[flag.env] : undefined;
    if (fromEnv) {
      if (flag.fromEnv) flag.fromEnv(target, fromEnv);
      else flag.set(target, fromEnv, `$${flag.env}`);
    } else if (command.defaultsApplied && flag.default !== undefined) {
      const values = typeof flag.default === 'string' ? [flag.default] : flag.default;
      for (const value of values) flag.set(target, value, dashed(flag.names[0]!));
    }
  }
}
