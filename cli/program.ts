/**
 * The commander program: one file per command under cli/commands, each a thin adapter over
 * the library in src/index.ts. This file only assembles them and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { EXIT_CODES, EXIT_OK, formatError } from '../src/index.js';
import type { CliIo } from './io.js';
import { registerCommands } from './commands/index.js';
import { paintError } from './output.js';
import { ownVersion } from './version.js';

/** Builds the program with the commands `argv` needs (all of them by default) registered against `io`. */
export async function buildProgram(io: CliIo, argv: readonly string[] = []): Promise<Command> {
  const program = new Command('sealops')
    .description('Seal Kubernetes Secrets for git, guard commits, and sync a repository into a cluster.')
    .version(ownVersion())
    .option('-q, --quiet', 'print only errors and data: no notes, warnings, progress or summaries')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // commander's own messages ("error: unknown option '--x'") carry the prefix every other error has.
      outputError: (s, write) => write(s.startsWith('sealops: ') ? s : `sealops: ${s}`),
    })
    .exitOverride()
    .hook('preAction', (_program, action) => {
      io.quiet = action.optsWithGlobals<{ quiet?: boolean }>().quiet === true;
    });
  await registerCommands(program, io, argv);
  return program;
}

/**
 * Runs the CLI on `argv` (without node and script) and returns the exit status.
 * Never throws and never calls process.exit, so tests can run it in-process.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const program = await buildProgram(io, argv);
    await program.parseAsync(argv, { from: 'user' });
    return io.exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // commander already printed its message; help and version are successes.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT_OK;
    return EXIT_CODES.USAGE;
  }
  const { text, exitCode } = formatError(err);
  io.stderr.write(paintError(io, text));
  return exitCode;
}
