import { completionContexts, type CompletionContext } from './completion-table.js';

/**
 * `swarm completion bash`: a completion function for bash 4.1 or later, its tables written from the
 * command table (completion-table.ts), its logic plain bash with no bash-completion package needed.
 */

/** Every word in the tables is plain (completion-table.ts checks), so quoting is only wrapping. */
const quoted = (words: readonly string[]) => `'${words.join(' ')}'`;

/** `manage|m) _swarm_cmd=manage ;;`: a command's names to its first. */
const commandCases = (contexts: CompletionContext[]) =>
  contexts
    .filter((c) => c.key !== '')
    .map((c) => `    ${c.names.join('|')}) _swarm_cmd=${c.key} ;;`);

const flagCases = (contexts: CompletionContext[]) =>
  contexts.map(
    (c) => `    ${quoted([c.key])}) _swarm_words=${quoted(c.flags.flatMap((f) => f.spellings))} ;;`,
  );

/** `'manage strategy') ...`: the value a command's flag takes, by the flag's names without dashes. */
function valueCases(contexts: CompletionContext[]): string[] {
  return contexts.flatMap((c) =>
    c.flags.flatMap((flag) => {
      if (!flag.value) return [];
      const pattern = flag.names.map((name) => quoted([`${c.key} ${name}`])).join('|');
      const words = flag.value.kind === 'words' ? ` _swarm_words=${quoted(flag.value.words)}` : '';
      return [`    ${pattern}) _swarm_kind=${flag.value.kind}${words} ;;`];
    }),
  );
}

const firstCases = (contexts: CompletionContext[]) =>
  contexts
    .filter((c) => c.first.length > 0)
    .map(
      (c) =>
        `    ${quoted([c.key])}) _swarm_words=${quoted(c.first.map((choice) => choice.word))} ;;`,
    );

export function bashCompletion(): string {
  const contexts = completionContexts();
  return `# bash completion for swarm (Skep), written by \`swarm completion bash\` from the table --help is
# written from. Load it with: source <(swarm completion bash)

# _swarm_cmd: the command word $1 names (its first name), or ? for none
_swarm_command() {
  case $1 in
${commandCases(contexts).join('\n')}
    *) _swarm_cmd='?' ;;
  esac
}

# _swarm_words: the flags of command $1 ('' for those before the command)
_swarm_flags() {
  _swarm_words=''
  case $1 in
${flagCases(contexts).join('\n')}
  esac
}

# _swarm_kind: what flag $2 (its name, without dashes) of command $1 takes: words (_swarm_words),
# files, text; empty for a flag that takes no value, or that the command does not have
_swarm_value() {
  _swarm_kind='' _swarm_words=''
  case "$1 $2" in
${valueCases(contexts).join('\n')}
  esac
}

# _swarm_words: what the first argument of command $1 completes to ('' for the command itself)
_swarm_first() {
  _swarm_words=''
  case $1 in
${firstCases(contexts).join('\n')}
  esac
}

_swarm() {
  local _swarm_cmd='' _swarm_words='' _swarm_kind='' cur word name flag='' value prefix='' pending=''
  local command='' seen=0 args=0 i j
  local -a words=()
  COMPREPLY=()
  # the words up to the cursor, with a --flag=value that bash split at its '=' joined again
  for ((j = 0; j <= COMP_CWORD; j++)); do
    word=\${COMP_WORDS[j]}
    i=$((\${#words[@]} - 1))
    if [[ $word == '=' && $i -gt 0 && \${words[i]} == -* && \${words[i]} != *=* ]]; then
      words[i]+='='
      if ((j < COMP_CWORD)); then
        ((j++))
        words[i]+=\${COMP_WORDS[j]}
      fi
    else
      words+=("$word")
    fi
  done
  cur=\${words[\${#words[@]} - 1]}
  # before the cursor: the command, how many arguments it has, a flag still waiting for its value
  for ((i = 1; i < \${#words[@]} - 1; i++)); do
    word=\${words[i]}
    if [[ -n $pending ]]; then
      pending=''
      continue
    fi
    case $word in
      - | --) ;;
      -*=*) continue ;;
      -*)
        name=\${word#-}
        _swarm_value "$command" "\${name#-}"
        [[ -n $_swarm_kind ]] && pending=$word
        continue
        ;;
    esac
    if ((seen == 0)); then
      seen=1
      _swarm_command "$word"
      command=$_swarm_cmd
    else
      ((args++))
    fi
  done
  # a flag's value: after the flag, or after its '='
  if [[ -n $pending ]]; then
    flag=$pending value=$cur
  elif [[ $cur == -*=* ]]; then
    flag=\${cur%%=*} value=\${cur#*=}
    # bash replaces the part after '=' when '=' breaks words, else the whole word
    [[ $COMP_WORDBREAKS == *=* ]] || prefix=$flag=
  fi
  if [[ -n $flag ]]; then
    name=\${flag#-}
    _swarm_value "$command" "\${name#-}"
    case $_swarm_kind in
      words) mapfile -t COMPREPLY < <(compgen -P "$prefix" -W "$_swarm_words" -- "$value") ;;
      files)
        compopt -o filenames 2>/dev/null
        mapfile -t COMPREPLY < <(compgen -P "$prefix" -f -- "$value")
        ;;
    esac
    return 0
  fi
  if [[ $cur == -* ]]; then
    _swarm_flags "$command"
  elif ((args == 0)); then
    _swarm_first "$command"
  fi
  mapfile -t COMPREPLY < <(compgen -W "$_swarm_words" -- "$cur")
  return 0
}

complete -F _swarm swarm
`;
}
