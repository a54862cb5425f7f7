/**
 * `sealops verify`: exit 0 when every file is sealed, intact (with keys: every value and the MAC
 * authenticate) and sealed for the configured recipients; exit 1 otherwise, one line per problem.
 */
import type { Command } from 'commander';
import { detectSopsFormat, EXIT_FINDINGS, createConfigCache, resolveRecipients, SealopsError, verifySops } from '../../src/index.js';
import { collect, type CliIo } from '../io.js';
import { isSealedSecretText, verifySealedSecretText } from './sealedsecret.js';
import { identitiesFor, readInput } from './sops-shared.js';

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
      // .sealops.yaml is read and parsed once for all FILEs of this run.
      const configCache = createConfigCache();
      // Age identities are read only when a SOPS file needs them: -k may name RSA keys meant for
      // SealedSecrets, which are not age identity files.
      let identities: string[] | undefined;
      let failed = 0;
      for (const file of files.length === 0 ? [undefined] : files) {
        const input = await readInput(file, io);
        let problems: string[];
        try {
          if (isSealedSecretText(input.text)) {
            problems = (await verifySealedSecretText(input.bytes, opts.key ?? [], input.source, io)).problems;
          } else {
            const expected = opts.recipient ?? (await resolveRecipients({ target: input.path, cwd: io.cwd, cache: configCache })).recipients;
            const format = detectSopsFormat(input.path, input.text);
            identities ??= await identitiesFor(opts.key, io, false);
            const result = await verifySops(input.text, {
              format,
              source: input.source,
              ...(identities.length > 0 ? { identities } : {}),
              ...(expected.length > 0 ? { recipients: expected } : {}),
            });
            problems = result.problems;
          }
        } catch (err) {
          if (!(err instanceof SealopsError)) throw err;
          problems = [err.message.split('\n')[0] ?? err.message];
        }
        if (problems.length === 0) io.stdout.write(`ok ${input.source}\n`);
        else {
          failed++;
          for (const p of problems) io.stdout.write(`FAIL ${input.source}: ${p}\n`);
        }
      }
      if (failed > 0) io.exitCode = EXIT_FINDINGS;
    });
}
