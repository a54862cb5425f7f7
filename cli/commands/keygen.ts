/**
 * `sealops keygen`: an age X25519 identity in the age-keygen file format (post-quantum only with
 * --pq), written 0600 and never over an existing file; prints the public recipient. With --rsa
 * it makes a SealedSecret key and certificate instead.
 */
import type { Command } from 'commander';
import { formatAgeKeyFile, generateAgeKeyPair, UsageError, writePrivateKeyFile, writeRsaKeyPairFiles } from '../../src/index.js';
import { resolve } from 'node:path';
import type { CliIo } from '../io.js';
import { note } from '../output.js';

interface KeygenOptions {
  output?: string;
  pq?: boolean;
  rsa?: boolean;
  certOut?: string;
  cn?: string;
  days?: string;
}

/** Registers `sealops keygen`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('keygen')
    .description('generate an age identity (or, with --rsa, a SealedSecret key and certificate)')
    .option('-o, --output <FILE>', 'write the private key to FILE (mode 0600, never overwritten); default stdout')
    .option('--pq', 'generate a post-quantum hybrid identity (age1pq1…); the Debian age CLI cannot read it')
    .option('--rsa', 'generate an RSA-4096 key and self-signed certificate for SealedSecrets')
    .option('--cert-out <FILE>', 'with --rsa: where to write the certificate')
    .option('--cn <NAME>', 'with --rsa: certificate common name')
    .option('--days <N>', 'with --rsa: certificate validity in days')
    .action(async (opts: KeygenOptions) => {
      if (opts.rsa) {
        if (!opts.output || !opts.certOut) throw new UsageError('failed to parse arguments: --rsa needs -o KEY.pem and --cert-out CERT.pem');
        const days = opts.days === undefined ? undefined : Number(opts.days);
        if (days !== undefined && (!Number.isInteger(days) || days <= 0)) throw new UsageError('failed to parse arguments: --days must be a positive integer');
        // Paths stay as given: the library refuses `-` (stdout) and resolves the rest itself.
        const fingerprint = await writeRsaKeyPairFiles({ output: opts.output, certOut: opts.certOut, cwd: io.cwd, ...(opts.cn ? { cn: opts.cn } : {}), ...(days ? { days } : {}) });
        note(io, `wrote private key ${opts.output} (mode 0600) and certificate ${opts.certOut}`);
        if (!io.quiet) io.stderr.write(`Public key fingerprint: ${fingerprint}\n`);
        return;
      }
      if (opts.certOut || opts.cn || opts.days) throw new UsageError('failed to parse arguments: --cert-out, --cn and --days need --rsa');
      const pair = await generateAgeKeyPair({ postQuantum: opts.pq === true });
      const content = formatAgeKeyFile(pair.identity, pair.recipient);
      if (opts.output && opts.output !== '-') {
        await writePrivateKeyFile(resolve(io.cwd, opts.output), content);
        note(io, `wrote ${opts.output}`);
        io.stdout.write(`${pair.recipient}\n`);
      } else {
        if (!io.quiet) io.stderr.write(`Public key: ${pair.recipient}\n`);
        io.stdout.write(content);
      }
    });
}
