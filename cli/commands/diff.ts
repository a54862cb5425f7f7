/**
 * `sealops diff --from REF [--to REF] [PATH]`: what a pull request changes, per object and per
 * secret key, never a value. Exit 0 without changes, 1 with changes, 2 on any error (the
 * statuses `kubectl diff` and `flux diff` use, so a CI step can tell them apart).
 */
import type { Command } from 'commander';
import { DIFF_EXIT, diffRevisions, formatDiff, formatError, UsageError, type DiffOutput } from '../../src/index.js';
import type { CliIo } from '../io.js';
import { paintError } from '../output.js';

interface DiffOptions {
  from: string;
  to?: string;
  output: string;
}

const OUTPUTS: readonly DiffOutput[] = ['text', 'markdown', 'json'];

/** Registers `sealops diff`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('diff')
    .description('show what changes between two git revisions, per object and per secret key (exit 0: none, 1: changes, 2: error)')
    .argument('[PATH]', 'folder to build, as the agent would (default: the repository root)')
    .requiredOption('--from <REF>', 'the base revision (e.g. origin/main)')
    .option('--to <REF>', 'the revision under review (default: the working tree)')
    .option('-o, --output <FORMAT>', 'text, markdown (a pull-request comment) or json', 'text')
    .action(async (path: string | undefined, opts: DiffOptions) => {
      try {
        if (!OUTPUTS.includes(opts.output as DiffOutput)) throw new UsageError(`failed to parse arguments: --output must be one of ${OUTPUTS.join(', ')}`);
        const diff = await diffRevisions({ git: { cwd: io.cwd, env: io.env }, from: opts.from, ...(opts.to ? { to: opts.to } : {}), ...(path ? { path } : {}) });
        io.stdout.write(formatDiff(diff, opts.output as DiffOutput));
        io.exitCode = diff.objects.length ? DIFF_EXIT.CHANGES : DIFF_EXIT.NO_CHANGES;
      } catch (err) {
        // 1 means "changes": every error, whatever its class, is 2 here.
        io.stderr.write(paintError(io, formatError(err).text));
        io.exitCode = DIFF_EXIT.ERROR;
      }
    });
}
