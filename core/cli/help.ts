import { commandNamed, HELP_COMMAND, SWARM } from './commands.js';
import { dashed, invocation, type ArgumentData, type CommandData, type FlagData } from './flag.js';
import { tabwrite } from './tabwriter.js';

/**
 * The help, written from the command table in the layout of classic's (cli/help.go over
 * urfave/cli): where classic printed something, its words; then what Skep adds, in the same layout.
 */

/** `--host, -H`. */
const names = (flag: FlagData) => flag.names.map(dashed).join(', ');

/**
 * What urfave/cli printed before the tab: the names, then the default of a flag that takes a value.
 */
function nameCell(flag: FlagData): string {
  if (flag.kind === 'bool') return names(flag);
  const first = dashed(flag.names[0]!);
  if (flag.kind === 'list') return `${names(flag)} [${first} option ${first} option]`;
  // a value's flag with no default: its names and a space, as urfave/cli printed it
  return `${names(flag)} ${flag.default === undefined ? '' : `"${flag.default}"`}`;
}

/**
 * A list's default, which urfave/cli did not print:
 * the values themselves, when they are all of them in order.
 */
function listDefault(flag: FlagData): string {
  if (flag.kind !== 'list' || flag.default === undefined || typeof flag.default === 'string')
    return '';
  const all = flag.values !== undefined && flag.default.join() === flag.values.join();
  return ` (default: ${all ? 'all, in this order' : flag.default.join(', ')})`;
}

/**
 * After the tab: the usage, the values as classic listed them
 * (`[spread, binpack, random]`), the variable.
 */
function usageCell(flag: FlagData): string {
  const values = flag.values ? ` [${flag.values.join(', ')}]` : '';
  return `${flag.usage}${values}${listDefault(flag)}${flag.env ? ` [$${flag.env}]` : ''}`;
}

/** One flag's line, as urfave/cli's Flag.String() wrote it, then what Skep adds. */
export const flagLine = (flag: FlagData): string => `${nameCell(flag)}\t${usageCell(flag)}`;

/**
 * The flags, then the notes
 * (classic's template printed them in the flags' block, so in their columns).
 */
function flagLines(command: CommandData, indent: string): string[] {
  const notes = (command.notes ?? []).map(([option, usage]) => `${indent}\t * ${option}\t${usage}`);
  return [...command.flags.map((flag) => `${indent}${flagLine(flag)}`), ...notes];
}

/** Lines of Go's templates leave trailing blanks; a terminal does not show them. */
const laidOut = (lines: string[]) => `${tabwrite(lines.join('\n')).replace(/[ \t]+$/gm, '')}\n`;

/** `swarm --help`: classic's AppHelpTemplate. */
export function programHelp(): string {
  return laidOut([
    `Usage: ${invocation(SWARM)} [OPTIONS] COMMAND [arg...]`,
    '',
    SWARM.usage,
    '',
    `Version: ${SWARM.version}`,
    '',
    'Options:',
    ...flagLines(SWARM, '  '),
    '',
    'Commands:',
    ...SWARM.commands.map((command) => `  ${command.names.join(', ')}\t${command.usage}`),
    '',
    `Run '${invocation(SWARM)} COMMAND --help' for more information on a command.`,
  ]);
}

/** Classic's `<discovery>`: its usage and variable, then its forms, one a line. */
function argumentLines(argument: ArgumentData): string[] {
  const forms = argument.forms.map((form) => `                   * ${form}`);
  return [
    '',
    'Arguments:',
    `   ${argument.name}    ${argument.usage} [$${argument.env}]`,
    ...forms,
  ];
}

/**
 * `swarm manage --help`: classic's CommandHelpTemplate,
 * with `swarm node`'s commands in the app's layout.
 */
export function commandHelp(command: CommandData): string {
  const { argument, subcommands = [], description } = command;
  const options = command.flags.length > 0 ? ' [OPTIONS]' : '';
  const operands =
    command.operands ?? argument?.name ?? (subcommands.length > 0 ? 'COMMAND [arg...]' : '');
  return laidOut([
    `Usage: ${invocation(command)}${options} ${operands}`,
    '',
    command.usage,
    ...(description ? ['', ...description.split('\n')] : []),
    ...(argument ? argumentLines(argument) : []),
    ...(subcommands.length > 0 ? ['', 'Commands:'] : []),
    ...subcommands.map(
      (sub) => `  ${[sub.names.join(', '), sub.args].filter(Boolean).join(' ')}\t${sub.usage}`,
    ),
    ...(command.flags.length > 0 ? ['', 'Options:', ...flagLines(command, '   ')] : []),
  ]);
}

/** `swarm help [topic]`, `swarm [topic] --help`; classic's words for a topic it does not know. */
export function helpFor(topic?: string): string {
  const command = commandNamed(topic);
  if (topic === undefined || command === HELP_COMMAND) return programHelp();
  return command ? commandHelp(command) : `No help topic for '${topic}'\n`;
}
