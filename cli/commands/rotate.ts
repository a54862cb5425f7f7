/**
 * `sealops rotate`: a new data key for each file, every value re-encrypted; recipients stay
 * unless -r or --cluster names new ones.
 */
import type { Command } from 'commander';
import { rotateInputs, UsageError } from '../../src/index.js';
import { collect, readInputs, writeResults, type CliIo } from '../io.js';
import { note } from '../output.js';
import { keysFor } from '../keys.js';

interface RotateOptions {
  key?: string[];
  recipient?: string[];
  cluster?: string[];
}

/** Registers `sealops rotate`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('rotate')
    .description('new data key for each file; every value re-encrypted')
    .argument('<FILE...>', 'sealed files, rewritten in place')
    .option('-k, --key <KEY_FILE>', 'age identity file that opens the files (repeatable)', collect)
    .option('-r, --recipient <AGE_RECIPIENT>', 'seal for these recipients instead of the current ones (repeatable)', collect)
    .option('--cluster <NAME>', 'seal for a cluster of .sealops.yaml (repeatable)', collect)
    .action(async (files: string[], opts: RotateOptions) => {
      if (files.includes('-')) throw new UsageError('failed to parse arguments: rotate rewrites FILEs in place; stdin is not supported');
      const keys = await keysFor(opts.key, io);
      const results = await rotateInputs(await readInputs(files, io), { keys, ...(opts.recipient ? { recipients: opts.recipient } : {}), ...(opts.cluster ? { clusters: opts.cluster } : {}) }, { cwd: io.cwd });
      await writeResults(results, true, io);
      for (const r of results) note(io, `rotated the data key of ${r.input.source}`);
    });
}
