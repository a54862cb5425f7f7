/**
 * `sealops rekey`: re-wraps each file's data key for the configured recipients (or -r). Values,
 * MAC and lastmodified stay; entries of recipients that stay are kept byte for byte.
 */
import type { Command } from 'commander';
import { ConfigError, detectSopsFormat, metadataRecipients, readSopsMetadata, rekeySops, resolveRecipients, UsageError } from '../../src/index.js';
import { collect, type CliIo } from '../io.js';
import { identitiesFor, readInput, writeOutputs, type Input } from './sops-shared.js';

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
      const identities = await identitiesFor(opts.key, io);
      const results: { input: Input; output: string }[] = [];
      const done: string[] = [];
      for (const file of files) {
        const input = await readInput(file, io);
        const format = detectSopsFormat(input.path, input.text);
        let recipients = opts.recipient ?? [];
        let groups: { keyGroups?: string[][]; shamirThreshold?: number } = {};
        if (recipients.length === 0) {
          const resolved = await resolveRecipients({ target: input.path, cwd: io.cwd, clusters: opts.cluster });
          recipients = resolved.recipients;
          if (resolved.keyGroups) groups = { keyGroups: resolved.keyGroups, shamirThreshold: resolved.shamirThreshold };
        }
        if (recipients.length === 0) {
          throw new ConfigError(`failed to choose recipients for ${file}: none given and none configured`, { hint: 'pass -r age1… or configure .sealops.yaml' });
        }
        const before = metadataRecipients(readSopsMetadata(input.text, { format, source: input.source }));
        const output = await rekeySops(input.text, { identities, recipients, ...groups, format, source: input.source });
        results.push({ input, output });
        done.push(`sealops: rekeyed ${file}: ${before.length} → ${new Set(recipients).size} recipients\n`);
      }
      // Announced only once every file is written: a batch that fails part-way rewrites nothing.
      await writeOutputs(results, true, io);
      for (const line of done) io.stderr.write(line);
    });
}
