/**
 * The commander program: one file per command under cli/commands, each a thin adapter over
 * the library in src/index.ts. This file only assembles them and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { SealopsError, EXIT_CODES } from '../src/index.js';
import type { CliIo } from './io.js';
import { registerCommands } from './commands/index.js';

/** Builds the program with every command registered against `io`. */
export function buildProgram(io: CliIo): Command {
  const program = new Command('sealops')
    .description('Seal Kubernetes Secrets for git, guard commits, and sync a repository into a cluster.')
    .version(process.env.npm_package_version ?? '0.1.0')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();
  registerCommands(program, io);
  return program;
}

/**
 * Runs the CLI on `argv` (without node and script) and returns the exit status.
 * Never throws and never calls process.exit, so tests can run it in-process.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.exitCode;
  } catch (err) {
    return reportError(err, io);
  }
}

function reportError(err: unknown, io: CliIo): number {
  if (err instanceof CommanderError) {
    // commander already printed its message; help and version are successes.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return 0;
    return EXIT_CODES.USAGE;
  }
  if (err instanceof SealopsError) {
    io.stderr.write(`sealops: error: ${err.message}\n`);
    if (err.hint) io.stderr.write(`sealops: hint: ${err.hint}\n`);
    return err.exitCode;
  }
  // An unexpected error is a bug; print its message only (a stack may carry input text).
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`sealops: error: internal error: ${message}\n`);
  return 70;
}
