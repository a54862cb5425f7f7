/**
 * `sealops verify`: exit 0 when every file is sealed, intact (with keys: every value and the MAC
 * authenticate) and sealed for the configured recipients; exit 1 otherwise, one line per problem.
 */
import type { Command } from 'commander';
import { EXIT_FINDINGS, verifyInputs } from '../../src/index.js';
import { collect, readInputs, type CliIo } from '../io.js';
import { keysFor } from '../keys.js';
import { progress, summary, warn } from '../output.js';

interface VerifyOptions {
  key?: string[];
  recipient?: string[];
}

/** Registers `sealops verify`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('verify')
    .description('check files are sealed, intact and sealed for the right recipients (exit 1 if not)')
    .argument('[FILE...]', 'sealed files; - or none reads stdin')
    .option('-k, --key <KEY_FILE>', 'keys to check every value and the MAC with (repeatable)', collect)
    .option('-r, --recipient <AGE_RECIPIENT>', 'expected recipients instead of the configured ones (repeatable)', collect)
    .action(async (files: string[], opts: VerifyOptions) => {
      const inputs = await readInputs(files.length === 0 ? [undefined] : files, io);
      const keys = await keysFor(opts.key, io);
      const bar = progress(io, 'verifying');
      let verdicts;
      try {
        verdicts = await verifyInputs(inputs, { keys, requireKeys: opts.key !== undefined, ...(opts.recipient ? { recipients: opts.recipient } : {}) }, { cwd: io.cwd, progress: bar.tick, warn: (m) => warn(io, m) });
      } finally {
        bar.end();
      }
      for (const v of verdicts) {
        if (v.problems.length === 0) io.stdout.write(`ok ${v.source}${v.keyless ? ' (no key given: structure and recipients only, values not opened)' : ''}\n`);
        else for (const p of v.problems) io.stdout.write(`FAIL ${v.source}: ${p}\n`);
      }
      const failed = verdicts.filter((v) => v.problems.length > 0).length;
      if (inputs.length > 1) summary(io, [['verified', inputs.length - failed], ['failed', failed]]);
      if (failed > 0) io.exitCode = EXIT_FINDINGS;
    });
}
