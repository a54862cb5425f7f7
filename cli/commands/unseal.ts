/**
 * `sealops unseal`: decrypts sealed files (SOPS, or SealedSecret via the RSA keys). Every value
 * is authenticated and the MAC verified before anything is written.
 */
import type { Command } from 'commander';
import { detectSopsFormat, unsealSops, UsageError, type SopsFormat } from '../../src/index.js';
import { collect, type CliIo } from '../io.js';
import { isSealedSecretText, unsealSealedSecretText } from './sealedsecret.js';
import { checkFiles, identitiesFor, mapLimit, readInput, writeOutputs, type Input } from './sops-shared.js';

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
      let identities: Promise<string[]> | undefined;
      // Every file is unsealed and verified before any is written.
      const results = await mapLimit(checkFiles(files, opts.inPlace), 8, async (file): Promise<{ input: Input; output: string | Buffer }> => {
        const input = await readInput(file, io);
        if (isSealedSecretText(input.text)) {
          return { input, output: await unsealSealedSecretText(input.bytes, opts.key ?? [], input.source, io) };
        }
        identities ??= identitiesFor(opts.key, io);
        const format = (opts.inputType as SopsFormat | undefined) ?? detectSopsFormat(input.path, input.text);
        return { input, output: await unsealSops(input.text, { identities: await identities, format, source: input.source }) };
      });
      await writeOutputs(results, opts.inPlace, io);
    });
}
