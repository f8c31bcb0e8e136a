/**
 * The command line as data: every command, its flags and its argument. The parser reads flags from
 * these tables, the help is written from them, and shell completion can be; nothing about a flag
 * lives elsewhere.
 */

/** How a flag takes its value; `list` flags may be repeated, each time adding one. */
export type FlagKind = 'bool' | 'string' | 'file' | 'int' | 'duration' | 'list';

export interface FlagData {
  /**
   * As typed, without dashes: the first is its name, the others aliases;
   * a one-letter name takes one dash.
   */
  readonly names: readonly string[];
  readonly kind: FlagKind;
  /** What it does, in classic's words where classic had the flag. */
  readonly usage: string;
  /** The values it takes, when they are a known few (a list flag's: those of each item). */
  readonly values?: readonly string[];
  /** What holds when it is not given: a value, or a list flag's items. */
  readonly default?: string | readonly string[];
  /** The environment variable read when the flag is not given. */
  readonly env?: string;
  /** `--help` and `--version` ask for something instead of setting it. */
  readonly asks?: 'help' | 'version';
}

export interface Flag<T> extends FlagData {
  /**
   * Reads one value into the target, failing in classic's words;
   * `shown` names the flag as it was typed.
   */
  set(target: T, value: string, shown: string): void;
  /** Reads the environment variable, when that differs from reading the flag's value. */
  fromEnv?(target: T, value: string): void;
}

/** The argument a command takes after its flags, as classic's help described it. */
export interface ArgumentData {
  readonly name: string;
  readonly usage: string;
  readonly env: string;
  /** The forms it takes, one a line. */
  readonly forms: readonly string[];
}

/** A command of its own inside a command, e.g. `swarm node ls`. */
export interface SubcommandData {
  readonly names: readonly string[];
  /** What follows it, e.g. `NODE`. */
  readonly args?: string;
  readonly usage: string;
}

export interface CommandData {
  /** As typed, e.g. `manage` and `m`; the whole program for its global flags. */
  readonly names: readonly string[];
  /** One line: classic's, where classic had the command. */
  readonly usage: string;
  /** What Skep adds to that line: lines, already wrapped. */
  readonly description?: string;
  readonly argument?: ArgumentData;
  readonly subcommands?: readonly SubcommandData[];
  /** What the usage line shows after the flags, when not the argument or `COMMAND [arg...]`. */
  readonly operands?: string;
  readonly flags: readonly FlagData[];
  /** Lines after the flags: classic listed `--cluster-opt`'s options there, with their defaults. */
  readonly notes?: readonly (readonly [option: string, usage: string])[];
  /**
   * Whose words a flag error uses: Go's flag package (classic's commands)
   * or the docker CLI's (`swarm node`).
   */
  readonly flagErrors: 'go' | 'docker-cli';
  /**
   * Whether the parser applies the defaults. `manage` leaves them to the configuration, where a
   * config file sits between its flags and config/defaults.ts.
   */
  readonly defaultsApplied: boolean;
}

export interface Command<T> extends CommandData {
  readonly flags: readonly Flag<T>[];
}

/** The flag as a user types it: `--host`, `-H`. */
export const dashed = (name: string): string => (name.length === 1 ? `-${name}` : `--${name}`);

/** The command as a user types it: `swarm`, `swarm manage`. */
export function invocation(command: CommandData): string {
  return command.names[0] === 'swarm' ? 'swarm' : `swarm ${command.names[0]}`;
}
