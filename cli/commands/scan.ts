/**
 * `sealops scan`: the guard. `--staged` judges what the next commit holds (the pre-commit hook
 * runs this), `PATH…`/`--all` the working tree, `--history RANGE` commits already made.
 */
import { Command, Option } from 'commander';
import type { CliIo } from '../io.js';
import { UsageError, formatJson, formatSarif, formatText, scanExitStatus, scanHistory, scanStaged, scanWorkTree, type ScanReport } from '../../src/index.js';

interface ScanOptions {
  staged?: boolean;
  all?: boolean;
  history?: string;
  format: 'text' | 'json' | 'sarif';
}

/** Registers `sealops scan`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('scan')
    .description('refuse plaintext Secrets and credentials: judge the staged files, the working tree, or history')
    .argument('[path...]', 'files or folders of the working tree to judge (default: the current folder)')
    .option('--staged', 'judge the full staged content of every added, copied, modified or renamed file (pre-commit)')
    .option('--all', 'judge every tracked and untracked-but-not-ignored file of the working tree')
    .option('--history <range>', 'judge every file version the commits of RANGE added or changed (e.g. main..HEAD)')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json', 'sarif']).default('text'))
    .addHelpText(
      'after',
      '\nExit status: 0 clean (or only reviewed exceptions), 1 findings, 2 a file could not be judged or bad usage.\n' +
        'Allow a reviewed exception with a `sealops:allow` comment on the line (or the line above),\n' +
        'or by listing its fingerprint in .sealopsignore at the top of the repository.',
    )
    .action(async (paths: string[], opts: ScanOptions) => {
      const modes = [opts.staged ? '--staged' : '', opts.all ? '--all' : '', opts.history !== undefined ? '--history' : ''].filter(Boolean);
      if (modes.length > 1) throw new UsageError(`failed to parse options: ${modes.join(' and ')} cannot be combined`);
      if ((opts.staged || opts.history !== undefined) && paths.length > 0) {
        throw new UsageError(`failed to parse options: ${modes[0]} takes no PATH`, { hint: 'use sealops scan PATH… to judge files of the working tree' });
      }
      if (opts.all && paths.length > 0) throw new UsageError('failed to parse options: --all takes no PATH');
      const ctx = { cwd: io.cwd, env: io.env };
      let report: ScanReport;
      if (opts.staged) report = await scanStaged(ctx);
      else if (opts.history !== undefined) report = await scanHistory(ctx, opts.history);
      else report = await scanWorkTree(ctx, paths, { all: opts.all === true });
      const out = opts.format === 'json' ? formatJson(report) : opts.format === 'sarif' ? formatSarif(report) : formatText(report);
      io.stdout.write(out);
      io.exitCode = scanExitStatus(report);
    });
}
