/**
 * `sealops unseal`: decrypts sealed files (SOPS, or SealedSecret via the RSA keys). Every value
 * is authenticated and the MAC verified before anything is written.
 */
import type { Command } from 'commander';
import { unsealInputs, UsageError, type SopsFormat } from '../../src/index.js';
import { checkFiles, collect, readInputs, writeResults, type CliIo } from '../io.js';
import { keysFor } from '../keys.js';
import { progress, summary } from '../output.js';

interface UnsealOptions {
  key?: string[];
  inPlace?: boolean;
  inputType?: string;
}

/** Registers `sealops unseal`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('unseal')
    .description('decrypt sealed files (MAC and every value verified)')
    .argument('[FILE...]', 'sealed files; - or none reads stdin and writes stdout')
    .option('-k, --key <KEY_FILE>', 'age identity file or SealedSecret private key (repeatable); default: SEALOPS_KEY_FILE, SOPS_AGE_KEY_FILE, SOPS_AGE_KEY', collect)
    .option('--input-type <TYPE>', 'sops store: yaml, json, dotenv, ini or binary (default: from the file name)')
    .option('-i, --in-place', 'replace each FILE with its plaintext (careful: do not commit it)')
    .action(async (files: string[], opts: UnsealOptions) => {
      if (opts.inputType && !['yaml', 'json', 'dotenv', 'ini', 'binary'].includes(opts.inputType)) {
        throw new UsageError(`failed to parse arguments: unknown --input-type "${opts.inputType}"`);
      }
      const inputs = await readInputs(checkFiles(files, opts.inPlace), io);
      const keys = await keysFor(opts.key, io);
      const bar = progress(io, 'unsealing');
      try {
        writeResults(await unsealInputs(inputs, keys, { cwd: io.cwd, progress: bar.tick, ...(opts.inputType ? { store: opts.inputType as SopsFormat } : {}) }), opts.inPlace, io);
      } finally {
        bar.end();
      }
      if (opts.inPlace) summary(io, [['unsealed', inputs.length], ['failed', 0]]);
    });
}
