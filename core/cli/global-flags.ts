import { defaults } from '../../config/defaults.js';
import type { LogFormat, LogLevel } from '../../config/types.js';
import type { Flag } from './flag.js';
import { boolFlag, choiceFlag } from './flag-kinds.js';
import type { ParsedManage } from './parsed-manage.js';

const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

/** urfave/cli's, on the program and on every command. */
export const HELP_FLAG: Flag<unknown> = {
  names: ['help', 'h'],
  kind: 'bool',
  usage: 'show help',
  asks: 'help',
  set() {},
};

export const VERSION_FLAG: Flag<unknown> = {
  names: ['version', 'v'],
  kind: 'bool',
  usage: 'print the version',
  asks: 'version',
  set() {},
};

/** dockerd's flag and values; global as `-l` is, and taken after `manage` too. */
export const LOG_FORMAT_FLAG = choiceFlag<ParsedManage, LogFormat>({
  names: ['log-format'],
  usage: 'log format',
  values: LOG_FORMATS,
  default: defaults().logFormat,
  set: (t, format) => {
    t.flags.logFormat = format;
  },
});

/** `swarm [OPTIONS] COMMAND`: classic's (cli/cli.go), Skep's, then those urfave/cli added. */
export const GLOBAL_FLAGS: readonly Flag<ParsedManage>[] = [
  boolFlag<ParsedManage>({
    names: ['debug'],
    usage: 'debug mode',
    env: 'DEBUG',
    // as classic: debug logs, unless --log-level says otherwise, before or after
    set: (t, on) => {
      if (on) t.flags.logLevel ??= 'debug';
    },
  }),
  choiceFlag<ParsedManage, LogLevel>({
    names: ['log-level', 'l'],
    usage: 'Log level',
    values: LOG_LEVELS,
    default: defaults().logLevel,
    set: (t, level) => {
      t.flags.logLevel = level;
    },
  }),
  boolFlag<ParsedManage>({
    names: ['experimental'],
    usage: 'enable experimental features',
    set: (t, on) => {
      t.flags.experimental = on;
    },
  }),
  LOG_FORMAT_FLAG,
  HELP_FLAG,
  VERSION_FLAG,
];
