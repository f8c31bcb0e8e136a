import type { Command } from './flag.js';
import { HELP_FLAG } from './global-flags.js';

/** The shells `swarm completion` writes a script for. */
export const SHELLS = ['bash', 'zsh'] as const;
export type Shell = (typeof SHELLS)[number];

export const isShell = (name: string): name is Shell =>
  (SHELLS as readonly string[]).includes(name);

const DESCRIPTION = `Completes the commands, their flags and the flags' known values, from the table --help is written
from. bash: source <(swarm completion bash), e.g. in ~/.bashrc. zsh, after compinit:
source <(swarm completion zsh), or the script saved as _swarm in a folder of $fpath.`;

/** `swarm completion SHELL`, Skep's: the script that completes `swarm` in that shell. */
export const COMPLETION: Command<unknown> = {
  names: ['completion'],
  usage: 'Print a shell completion script for swarm: bash or zsh',
  description: DESCRIPTION,
  operands: 'SHELL',
  subcommands: [
    { names: ['bash'], usage: 'The script for bash (4.1 or later)' },
    { names: ['zsh'], usage: "The script for zsh's completion system (compinit)" },
  ],
  flags: [HELP_FLAG],
  flagErrors: 'go',
  defaultsApplied: false,
};
