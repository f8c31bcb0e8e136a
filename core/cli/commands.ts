import { CLASSIC_VERSION, SKEP_VERSION } from '../version.js';
import { COMPLETION } from './completion-flags.js';
import type { Command, CommandData } from './flag.js';
import { GLOBAL_FLAGS } from './global-flags.js';
import { JOIN } from './join-flags.js';
import { LIST } from './list-flags.js';
import { MANAGE, type ParsedManage } from './manage-flags.js';
import { NODE } from './node-flags.js';

/** urfave/cli's own command, as classic listed it. */
export const HELP_COMMAND: CommandData = {
  names: ['help', 'h'],
  usage: 'Shows a list of commands or help for one command',
  flags: [],
  flagErrors: 'go',
  defaultsApplied: false,
};

export interface Program extends Command<ParsedManage> {
  readonly version: string;
  readonly commands: readonly CommandData[];
}

/**
 * The whole command line, the one table the parser, the help and shell completion read: the
 * program's global flags, then its commands: classic's (manage first, as Skep's help has always
 * listed them), Skep's `node` and `completion`, then urfave/cli's `help`, last as classic listed it.
 */
export const SWARM: Program = {
  names: ['swarm'],
  usage: 'A Docker-native clustering system',
  version: `${CLASSIC_VERSION} (skep ${SKEP_VERSION})`,
  flags: GLOBAL_FLAGS,
  commands: [MANAGE, JOIN, LIST, NODE, COMPLETION, HELP_COMMAND],
  flagErrors: 'go',
  defaultsApplied: false,
};

/** The command a name or alias stands for. */
export function commandNamed(name: string | undefined): CommandData | undefined {
  return name === undefined
    ? undefined
    : SWARM.commands.find((command) => command.names.includes(name));
}
