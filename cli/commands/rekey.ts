/**
 * `sealops rekey`: re-wraps each file's data key for the configured recipients (or -r). Values,
 * MAC and lastmodified stay; entries of recipients that stay are kept byte for byte.
 */
import type { Command } from 'commander';
import { rekeyInputs, UsageError } from '../../src/index.js';
import { collect, readInputs, writeResults, type CliIo } from '../io.js';
import { note } from '../output.js';
import { keysFor } from '../keys.js';

interface RekeyOptions {
  key?: string[];
  recipient?: string[];
  cluster?: string[];
}

/** Registers `sealops rekey`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('rekey')
    .description('re-wrap data keys for the configured recipients (values untouched)')
    .argument('<FILE...>', 'sealed files, rewritten in place')
    .option('-k, --key <KEY_FILE>', 'age identity file that opens the files (repeatable)', collect)
    .option('-r, --recipient <AGE_RECIPIENT>', 'recipients to seal for instead of the configured ones (repeatable)', collect)
    .option('--cluster <NAME>', 'seal for a cluster of .sealops.yaml (repeatable)', collect)
    .action(async (files: string[], opts: RekeyOptions) => {
      if (files.includes('-')) throw new UsageError('failed to parse arguments: rekey rewrites FILEs in place; stdin is not supported');
      const keys = await keysFor(opts.key, io);
      const results = await rekeyInputs(await readInputs(files, io), { keys, ...(opts.recipient ? { recipients: opts.recipient } : {}), ...(opts.cluster ? { clusters: opts.cluster } : {}) }, { cwd: io.cwd });
      await writeResults(results, true, io);
      for (const r of results) note(io, `rekeyed ${r.input.source}: ${r.before} → ${r.after} recipients`);
    });
}
