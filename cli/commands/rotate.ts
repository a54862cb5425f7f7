/**
 * `sealops rotate`: a new data key for each file, every value re-encrypted; recipients stay
 * unless -r or --cluster names new ones.
 */
import type { Command } from 'commander';
import { detectSopsFormat, createConfigCache, resolveRecipients, rotateSops, UsageError } from '../../src/index.js';
import { collect, type CliIo } from '../io.js';
import { identitiesFor, readInput, writeOutputs, type Input } from './sops-shared.js';

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
      // .sealops.yaml is read and parsed once for all FILEs of this run.
      const configCache = createConfigCache();
      if (files.includes('-')) throw new UsageError('failed to parse arguments: rotate rewrites FILEs in place; stdin is not supported');
      const identities = await identitiesFor(opts.key, io);
      const results: { input: Input; output: string }[] = [];
      for (const file of files) {
        const input = await readInput(file, io);
        const format = detectSopsFormat(input.path, input.text);
        let recipients = opts.recipient;
        if (!recipients && opts.cluster) recipients = (await resolveRecipients({ target: input.path, cwd: io.cwd, clusters: opts.cluster, cache: configCache })).recipients;
        results.push({ input, output: await rotateSops(input.text, { identities, format, source: input.source, ...(recipients ? { recipients } : {}) }) });
        io.stderr.write(`sealops: rotated the data key of ${file}\n`);
      }
      await writeOutputs(results, true, io);
    });
}
