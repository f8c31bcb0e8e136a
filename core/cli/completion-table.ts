import { HELP_COMMAND, SWARM } from './commands.js';
import { dashed, type CommandData, type FlagData } from './flag.js';

/**
 * What shell completion offers, read from the command table `--help` is written from; the bash and
 * zsh scripts are written from this, so a flag added to the table completes in both.
 */

/** What a flag's value completes to: a few known words, a path, or nothing (free text). */
export type ValueCompletion =
  { kind: 'words'; words: readonly string[] } | { kind: 'files' } | { kind: 'text' };

/** A word the scripts offer, as it is typed. */
export interface Choice {
  readonly word: string;
  readonly usage: string;
}

export interface CompletedFlag {
  /** As typed: `--filter`, `-f`. */
  readonly spellings: readonly string[];
  /** The table's names, undashed, which the scripts match whether typed with one dash or two. */
  readonly names: readonly string[];
  readonly usage: string;
  /** Undefined for a flag that takes no value. */
  readonly value?: ValueCompletion;
  /** A list flag may be given again. */
  readonly repeatable: boolean;
}

/** The program before its command (`key` '') or one command: its flags and its first argument. */
export interface CompletionContext {
  /** The command's first name; '' for the program. */
  readonly key: string;
  /** Every name it is typed by. */
  readonly names: readonly string[];
  readonly flags: readonly CompletedFlag[];
  /** What the first argument completes to: commands, help topics, subcommands or shells. */
  readonly first: readonly Choice[];
  /** Names the first argument when nothing completes it (`<discovery>`). */
  readonly argument?: string;
}

/** The words go into the scripts as they are: they stay plain, so no shell reads them otherwise. */
const PLAIN = /^[\w.:/@%+,=-]+$/;

function plain(word: string): string {
  if (!PLAIN.test(word)) throw new Error(`shell completion: "${word}" is not a plain word`);
  return word;
}

function valueOf(flag: FlagData): ValueCompletion | undefined {
  if (flag.kind === 'bool') return undefined;
  if (flag.values) return { kind: 'words', words: flag.values.map(plain) };
  return flag.kind === 'file' ? { kind: 'files' } : { kind: 'text' };
}

const completedFlag = (flag: FlagData): CompletedFlag => ({
  spellings: flag.names.map((name) => plain(dashed(name))),
  names: flag.names,
  usage: flag.usage,
  value: valueOf(flag),
  repeatable: flag.kind === 'list',
});

/** The commands as `swarm <TAB>` offers them: by their first names, aliases left out. */
const commandChoices = (): Choice[] =>
  SWARM.commands.map((command) => ({ word: plain(command.names[0]!), usage: command.usage }));

function firstChoices(command: CommandData): Choice[] {
  if (command === SWARM || command === HELP_COMMAND) return commandChoices();
  return (command.subcommands ?? []).map((sub) => ({
    word: plain(sub.names[0]!),
    usage: sub.usage,
  }));
}

const context = (command: CommandData): CompletionContext => ({
  key: command === SWARM ? '' : command.names[0]!,
  names: command === SWARM ? [] : command.names.map(plain),
  flags: command.flags.map(completedFlag),
  first: firstChoices(command),
  argument: command.argument?.name,
});

/** The program's context first, then one per command, in the table's order. */
export const completionContexts = (): CompletionContext[] =>
  [SWARM, ...SWARM.commands].map(context);
