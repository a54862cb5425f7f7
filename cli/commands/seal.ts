/**
 * `sealops seal`: seals Secret manifests for git. SOPS with age recipients by default (only
 * `data`/`stringData` of a Secret are encrypted, every other byte stays); `--format
 * sealedsecret` (or a chosen cluster that has only a certificate) makes a SealedSecret instead.
 */
import type { Command } from 'commander';
import { dirname, resolve } from 'node:path';
import { ConfigError, detectSopsFormat, resolveRecipients, sealSops, SEALING_SCOPES, UsageError, type SealingScope, type SealSopsOptions, type SopsFormat } from '../../src/index.js';
import { collect, type CliIo } from '../io.js';
import { sealAsSealedSecret } from './sealedsecret.js';
import { checkFiles, mapLimit, readInput, writeOutputs, type Input } from './sops-shared.js';

interface SealOptions {
  recipient?: string[];
  cert?: string;
  format?: string;
  scope?: string;
  cluster?: string[];
  inPlace?: boolean;
  mergeInto?: string;
  inputType?: string;
}

const STORES = ['yaml', 'json', 'dotenv', 'ini', 'binary'] as const;

/** Registers `sealops seal`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('seal')
    .description('seal Secret manifests (SOPS with age by default, or SealedSecret)')
    .argument('[FILE...]', 'manifests to seal; - or none reads stdin and writes stdout')
    .option('-r, --recipient <AGE_RECIPIENT>', 'age recipient (repeatable); default: from .sealops.yaml / .sops.yaml', collect)
    .option('--cert <CERT_FILE_OR_URL>', 'SealedSecret certificate (implies --format sealedsecret)')
    .option('--format <FORMAT>', 'sops or sealedsecret', 'sops')
    .option('--scope <SCOPE>', 'scope binding: strict (namespace/name), namespace-wide or cluster-wide')
    .option('--cluster <NAME>', 'seal for a cluster of .sealops.yaml (repeatable)', collect)
    .option('--merge-into <FILE>', 'SealedSecret: merge the new keys into this existing SealedSecret')
    .option('--input-type <TYPE>', 'sops store: yaml, json, dotenv, ini or binary (default: from the file name)')
    .option('-i, --in-place', 'replace each FILE with its sealed form')
    .action(async (files: string[], opts: SealOptions) => {
      if (opts.format !== 'sops' && opts.format !== 'sealedsecret') throw new UsageError(`failed to parse arguments: unknown --format "${opts.format}"`);
      if (opts.scope && !(SEALING_SCOPES as readonly string[]).includes(opts.scope)) throw new UsageError(`failed to parse arguments: unknown --scope "${opts.scope}"`);
      if (opts.inputType && !(STORES as readonly string[]).includes(opts.inputType)) throw new UsageError(`failed to parse arguments: unknown --input-type "${opts.inputType}"`);
      // Every file is sealed before any is written, so a failure leaves all of them as they were.
      const results = await mapLimit(checkFiles(files, opts.inPlace), 8, async (file) => {
        const input = await readInput(file, io);
        const plan = await planSeal(input, opts, io);
        return { input, output: typeof plan === 'string' || Buffer.isBuffer(plan) ? plan : await sealSops(input.text, plan) };
      });
      await writeOutputs(results, opts.inPlace, io);
    });
}

/** Seals a SealedSecret right away; for sops, returns the options to seal the input with. */
async function planSeal(input: Input, opts: SealOptions, io: CliIo): Promise<string | Buffer | SealSopsOptions> {
  const explicit = opts.recipient ?? [];
  const wantsSealedSecret = opts.format === 'sealedsecret' || opts.cert !== undefined;
  if (wantsSealedSecret && explicit.length > 0) throw new UsageError('failed to parse arguments: -r is for the sops format; SealedSecrets use --cert');
  const resolved = explicit.length > 0 && !opts.cluster ? undefined : await resolveRecipients({ target: input.path, cwd: io.cwd, clusters: opts.cluster });
  let cert = opts.cert;
  if (!cert && resolved && (wantsSealedSecret || (resolved.recipients.length === 0 && explicit.length === 0))) {
    const withCert = resolved.clusters.filter((c) => c.certificate);
    if (withCert.length > 1) throw new UsageError('failed to choose a certificate: several clusters have one; seal for one --cluster at a time');
    const c = withCert[0]?.certificate;
    if (c && resolved.configFile) cert = /^https?:\/\//.test(c) ? c : resolve(dirname(resolved.configFile), c);
  }
  if (wantsSealedSecret || (cert && explicit.length === 0 && (resolved?.recipients.length ?? 0) === 0)) {
    if (!cert) throw new UsageError('failed to seal as SealedSecret: no certificate', { hint: 'pass --cert FILE_OR_URL, or give the cluster a certificate in .sealops.yaml' });
    return sealAsSealedSecret(
      input.bytes,
      { cert, source: input.source, ...(opts.scope ? { scope: opts.scope as SealingScope } : {}), ...(opts.mergeInto ? { mergeInto: resolve(io.cwd, opts.mergeInto) } : {}) },
      io,
    );
  }
  if (opts.mergeInto) throw new UsageError('failed to parse arguments: --merge-into is for --format sealedsecret');
  const recipients = explicit.length > 0 ? [...explicit, ...(resolved?.recipients ?? [])] : (resolved?.recipients ?? []);
  if (recipients.length === 0) {
    throw new ConfigError(`failed to choose recipients for ${input.source}: none given and none configured`, {
      hint: 'pass -r age1…, or add a cluster and a path rule to .sealops.yaml (see keys.example)',
    });
  }
  const format = (opts.inputType as SopsFormat | undefined) ?? detectSopsFormat(input.path, input.text);
  const groups = resolved?.keyGroups ? { keyGroups: resolved.keyGroups, shamirThreshold: resolved.shamirThreshold } : {};
  return { recipients, ...groups, format, source: input.source, ...(resolved?.rules ? { rules: resolved.rules } : {}), ...(opts.scope ? { scope: opts.scope as SealingScope } : {}) };
}
