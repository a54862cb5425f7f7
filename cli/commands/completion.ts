/**
 * `sealops completion bash|zsh|fish`: a completion script for the shell, generated from the
 * program itself so it always lists the commands and options this version has.
 */
import type { Command } from 'commander';
import { UsageError } from '../../src/index.js';
import type { CliIo } from '../io.js';

interface Spec {
  name: string;
  description: string;
  options: { flags: string[]; description: string }[];
  subcommands: string[];
}

function specs(program: Command): Spec[] {
  return program.commands.map((c) => ({
    name: c.name(),
    description: c.description(),
    options: c.options.map((o) => ({ flags: [o.short, o.long].filter((f): f is string => typeof f === 'string'), description: o.description })),
    subcommands: c.commands.map((s) => s.name()),
  }));
}

function globalFlags(program: Command): string[] {
  return [...program.options.flatMap((o) => [o.short, o.long].filter((f): f is string => typeof f === 'string')), '--help'];
}

function bash(program: Command): string {
  const cases = specs(program)
    .map((s) => `    ${s.name}) words="${[...s.subcommands, ...s.options.flatMap((o) => o.flags), '--help'].join(' ')}" ;;`)
    .join('\n');
  return `# bash completion for sealops: source it, or save it as /etc/bash_completion.d/sealops
_sealops() {
  local cur cmd words
  cur="\${COMP_WORDS[COMP_CWORD]}"
  cmd="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${specs(program).map((s) => s.name).join(' ')} ${globalFlags(program).join(' ')}" -- "$cur"))
    return
  fi
  case "$cmd" in
${cases}
    *) words="" ;;
  esac
  if [[ "$cur" == -* || -n "$words" && "$COMP_CWORD" -eq 2 && "$words" != -* ]]; then
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
  else
    COMPREPLY=($(compgen -f -- "$cur"))
  fi
}
complete -o filenames -F _sealops sealops
`;
}

function quote(text: string): string {
  return text.replace(/'/g, "'\\''").replace(/[[\]:]/g, '\\$&');
}

function zsh(program: Command): string {
  const commands = specs(program)
    .map((s) => `    '${s.name}:${quote(s.description)}'`)
    .join('\n');
  const cases = specs(program)
    .map((s) => {
      const args = s.options.map((o) => (o.flags.length > 1 ? `'(${o.flags.join(' ')})'{${o.flags.join(',')}}'[${quote(o.description)}]'` : `'${o.flags[0]}[${quote(o.description)}]'`));
      const sub = s.subcommands.length > 0 ? ` '1:subcommand:(${s.subcommands.join(' ')})'` : " '*:file:_files'";
      return `    ${s.name}) _arguments ${[...args, sub.trim()].join(' ')} ;;`;
    })
    .join('\n');
  return `#compdef sealops
# zsh completion for sealops: save it as _sealops in a folder of $fpath
_sealops() {
  local -a commands
  commands=(
${commands}
  )
  if (( CURRENT == 2 )); then
    _describe 'command' commands
    return
  fi
  case "$words[2]" in
${cases}
  esac
}
compdef _sealops sealops
`;
}

function fish(program: Command): string {
  const lines = ['# fish completion for sealops: save it as ~/.config/fish/completions/sealops.fish', 'complete -c sealops -f'];
  for (const s of specs(program)) {
    lines.push(`complete -c sealops -n '__fish_use_subcommand' -a ${s.name} -d '${s.description.replace(/'/g, "\\'")}'`);
    for (const sub of s.subcommands) lines.push(`complete -c sealops -n '__fish_seen_subcommand_from ${s.name}' -a ${sub}`);
    for (const o of s.options) {
      const short = o.flags.find((f) => /^-[^-]$/.test(f));
      const long = o.flags.find((f) => f.startsWith('--'));
      lines.push(
        `complete -c sealops -n '__fish_seen_subcommand_from ${s.name}'${short ? ` -s ${short.slice(1)}` : ''}${long ? ` -l ${long.slice(2)}` : ''} -d '${o.description.replace(/'/g, "\\'")}'`,
      );
    }
    if (s.subcommands.length === 0) lines.push(`complete -c sealops -n '__fish_seen_subcommand_from ${s.name}' -F`);
  }
  return `${lines.join('\n')}\n`;
}

const SHELLS = { bash, zsh, fish } as const;

/** Registers `sealops completion`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('completion')
    .description('print a shell completion script (bash, zsh or fish)')
    .argument('<SHELL>', 'bash, zsh or fish')
    .action((shell: string) => {
      if (!Object.hasOwn(SHELLS, shell)) throw new UsageError(`failed to parse arguments: unknown shell "${shell}"`, { hint: 'sealops completion bash|zsh|fish' });
      io.stdout.write(SHELLS[shell as keyof typeof SHELLS](program));
    });
}
