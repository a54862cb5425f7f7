/**
 * `sealops verify`: exit 0 when every file is sealed, intact (with keys: every value and the MAC
 * authenticate) and sealed for the configured recipients; exit 1 otherwise, one line per problem.
 */
import type { Command } from 'commander';
import { detectSopsFormat, EXIT_FINDINGS, KeyError, resolveRecipients, SealopsError, verifySops } from '../../src/index.js';
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
      // Age identities are read only when a SOPS file needs them: -k may name RSA keys meant for
      // SealedSecrets, which are not age identity files.
      let identities: string[] | undefined;
      let failed = 0;
      for (const file of files.length === 0 ? [undefined] : files) {
        const input = await readInput(file, io);
        const sealedSecret = isSealedSecretText(input.text);
        // A key source that yields no identity stops here (exit 3): it must never turn into a
        // keyless check that passes what the key would have refused.
        if (!sealedSecret) identities ??= await identitiesFor(opts.key, io, false);
        let problems: string[];
        try {
          if (sealedSecret) {
            problems = (await verifySealedSecretText(input.bytes, opts.key ?? [], input.source, io)).problems;
          } else {
            const expected = opts.recipient ?? (await resolveRecipients({ target: input.path, cwd: io.cwd })).recipients;
            const format = detectSopsFormat(input.path, input.text);
            const result = await verifySops(input.text, {
              format,
              source: input.source,
              ...(identities && identities.length > 0 ? { identities } : {}),
              ...(expected.length > 0 ? { recipients: expected } : {}),
            });
            problems = result.problems;
            for (const u of result.unbound ?? []) io.stderr.write(`sealops: warning: ${input.source}: Secret ${u} has no sealops.dev/scope binding (sealed by plain sops?): its namespace and name are not authenticated; \`sealops rotate\` adds one\n`);
          }
        } catch (err) {
          // A key that cannot be read is an error of the command (exit 3), not a finding.
          if (!(err instanceof SealopsError) || err instanceof KeyError) throw err;
          problems = [err.message.split('\n')[0] ?? err.message];
        }
        const keyless = sealedSecret ? (opts.key ?? []).length === 0 : identities?.length === 0;
        if (problems.length === 0) io.stdout.write(`ok ${input.source}${keyless ? ' (no key given: structure and recipients only, values not opened)' : ''}\n`);
        else {
          failed++;
          for (const p of problems) io.stdout.write(`FAIL ${input.source}: ${p}\n`);
        }
      }
      if (failed > 0) io.exitCode = EXIT_FINDINGS;
    });
}
