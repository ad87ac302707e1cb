import { Command } from '@commander-js/extra-typings';
import { UsageError } from '../exit-codes.js';
import type { AnyCommand } from './command-context.js';

// Shell completion from the command tree itself: the script a shell loads asks
// `canopy __complete <words typed so far>` for the candidates, so it never goes stale.

export const COMPLETE_COMMAND = '__complete';

const scripts = {
  bash: `# canopy completion for bash: add to ~/.bashrc
#   source <(canopy completion bash)
_canopy_completion() {
  local current="\${COMP_WORDS[COMP_CWORD]}"
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$(canopy ${COMPLETE_COMMAND} "\${COMP_WORDS[@]:1:COMP_CWORD-1}" 2>/dev/null)" -- "$current"))
}
complete -o default -F _canopy_completion canopy
`,
  zsh: `#compdef canopy
# canopy completion for zsh: add to ~/.zshrc
#   source <(canopy completion zsh)
_canopy() {
  local -a candidates
  candidates=("\${(@f)$(canopy ${COMPLETE_COMMAND} "\${(@)words[2,CURRENT-1]}" 2>/dev/null)}")
  compadd -a candidates
}
compdef _canopy canopy
`,
} as const;

export function completionCommands(
  program: () => AnyCommand,
  stdout: NodeJS.WritableStream,
): AnyCommand[] {
  const completion = new Command('completion')
    .description('print the shell completion script: source <(canopy completion bash)')
    .argument('<shell>', 'bash or zsh')
    .action((shell) => {
      if (shell !== 'bash' && shell !== 'zsh') {
        throw new UsageError(`completion is available for bash and zsh, not "${shell}"`);
      }
      stdout.write(scripts[shell]);
    });
  const complete = new Command(COMPLETE_COMMAND)
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action((words) => {
      stdout.write(
        candidates(program(), words)
          .map((word) => `${word}\n`)
          .join(''),
      );
    });
  return [completion, complete];
}

/** Sub-commands and options of the command the words lead to (option values for `--output`). */
export function candidates(program: AnyCommand, words: readonly string[]): string[] {
  if (words.at(-1) === '--output' || words.at(-1) === '-o') return ['table', 'json'];
  let command: AnyCommand = program;
  for (const word of words) {
    const next = command.commands.find(
      (sub) => sub.name() === word || sub.aliases().includes(word),
    );
    if (next !== undefined) command = next;
  }
  const subcommands = command.commands
    .filter((sub) => !sub.name().startsWith('__') && sub.name() !== 'help')
    .map((sub) => sub.name());
  const options = [...command.options, ...program.options]
    .map((option) => option.long)
    .filter((flag): flag is string => flag !== undefined);
  return [...subcommands, ...new Set([...options, '--help'])];
}
