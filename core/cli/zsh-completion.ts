import {
  completionContexts,
  type Choice,
  type CompletedFlag,
  type CompletionContext,
} from './completion-table.js';

/**
 * `swarm completion zsh`: a function for zsh's completion system (compinit), whose `_arguments`
 * specs are written from the command table (completion-table.ts), usage included.
 */

/** One word for zsh, single-quoted. */
const quoted = (text: string) => `'${text.replaceAll("'", `'\\''`)}'`;

/** Text inside an `_arguments` spec's [description] or :message: field. */
const inSpec = (text: string) => text.replace(/[\\[\]:]/g, (c) => `\\${c}`);

/** The action of a flag's value: its words, files, or nothing to complete (a single space). */
function action(flag: CompletedFlag): string {
  if (flag.value?.kind === 'words') return `(${flag.value.words.join(' ')})`;
  return flag.value?.kind === 'files' ? '_files' : ' ';
}

/**
 * `(--filter -f)--filter=[filter to use]:filter:(health port ...)`: one spec per spelling. Long
 * flags take `--flag=value` or `--flag value`, one-letter ones the next word, as Go's flag package.
 */
function flagSpecs(flag: CompletedFlag): string[] {
  const exclusive = flag.repeatable ? '*' : `(${flag.spellings.join(' ')})`;
  return flag.spellings.map((spelling) => {
    const equals = flag.value && spelling.startsWith('--') ? '=' : '';
    const value = flag.value ? `:${inSpec(flag.names[0]!)}:${action(flag)}` : '';
    return quoted(`${exclusive}${spelling}${equals}[${inSpec(flag.usage)}]${value}`);
  });
}

/** `_describe`'s items, `word:usage`. */
const described = (choices: readonly Choice[]) =>
  choices.map((choice) => quoted(`${choice.word.replaceAll(':', '\\:')}:${choice.usage}`));

/** The `_arguments` call of a context, its first argument in state `first`, described after. */
function argumentsCall(context: CompletionContext, indent: string): string {
  const first =
    context.first.length > 0
      ? ["'1: :->first'"]
      : [quoted(`1:${inSpec(context.argument ?? 'argument')}: `)];
  // the program's command takes the words after it; a command's arguments take no more
  const rest = context.key === '' ? "'*:: :->command'" : "'*: :'";
  const specs = [...context.flags.flatMap(flagSpecs), ...first, rest];
  const what = context.key === '' ? 'swarm command' : `swarm ${context.key} argument`;
  const describe = [
    `${indent}if [[ $state == first ]]; then`,
    `${indent}  local -a choices=(${described(context.first).join(' ')})`,
    `${indent}  _describe -t commands ${quoted(what)} choices && ret=0`,
    `${indent}fi`,
  ];
  return [
    `${indent}_arguments -C \\`,
    ...specs.map((spec) => `${indent}  ${spec} \\`),
    `${indent}  && ret=0`,
    ...(context.first.length > 0 ? describe : []),
  ].join('\n');
}

/** `manage|m) ... ;;`: a command's completion, by its names. */
const commandCase = (context: CompletionContext) =>
  [`      ${context.names.join('|')})`, argumentsCall(context, '        '), '        ;;'].join(
    '\n',
  );

export function zshCompletion(): string {
  const [program, ...commands] = completionContexts();
  return `#compdef swarm
# zsh completion for swarm (Skep), written by \`swarm completion zsh\` from the table --help is
# written from. Load it after compinit with: source <(swarm completion zsh)
# or save it as _swarm in a folder of $fpath.

_swarm() {
  local curcontext=$curcontext state state_descr line ret=1
  typeset -A opt_args
${argumentsCall(program!, '  ')}
  if [[ $state == command ]]; then
    state=''
    curcontext=\${curcontext%:*:*}:swarm-$words[1]:
    case $words[1] in
${commands.map(commandCase).join('\n')}
    esac
  fi
  return ret
}

# autoloaded from $fpath the file is _swarm's body, so it completes; sourced, it registers _swarm
if [[ $funcstack[1] == _swarm ]]; then
  _swarm "$@"
else
  compdef _swarm swarm
fi
`;
}
