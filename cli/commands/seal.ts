/**
 * `sealops seal`: seals Secret manifests for git. SOPS with age recipients by default (only
 * `data`/`stringData` of a Secret are encrypted, every other byte stays); `--format
 * sealedsecret` (or a chosen cluster that has only a certificate) makes a SealedSecret instead.
 */
import type { Command } from 'commander';
import { createConfigCache, findSecretFiles, mergeInputs, SEALING_SCOPES, sealInputs, UsageError, type SealingScope, type SealRequest, type SopsFormat } from '../../src/index.js';
import { checkFiles, collect, readInputs, warn, writeResults, type CliIo } from '../io.js';
import { progress, summary } from '../output.js';
import { note } from '../output.js';

interface SealOptions {
  recipient?: string[];
  cert?: string;
  format?: string;
  scope?: string;
  cluster?: string[];
  inPlace?: boolean;
  mergeInto?: string;
  inputType?: string;
  all?: string;
}

const STORES = ['yaml', 'json', 'dotenv', 'ini', 'binary'] as const;

function request(opts: SealOptions): SealRequest {
  if (opts.format !== 'sops' && opts.format !== 'sealedsecret') throw new UsageError(`failed to parse arguments: unknown --format "${opts.format}"`);
  if (opts.scope && !(SEALING_SCOPES as readonly string[]).includes(opts.scope)) throw new UsageError(`failed to parse arguments: unknown --scope "${opts.scope}"`);
  if (opts.inputType && !(STORES as readonly string[]).includes(opts.inputType)) throw new UsageError(`failed to parse arguments: unknown --input-type "${opts.inputType}"`);
  return {
    format: opts.format,
    ...(opts.recipient ? { recipients: opts.recipient } : {}),
    ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
    ...(opts.scope ? { scope: opts.scope as SealingScope } : {}),
    ...(opts.cluster ? { clusters: opts.cluster } : {}),
    ...(opts.inputType ? { store: opts.inputType as SopsFormat } : {}),
  };
}

/** Registers `sealops seal`. */
export function register(program: Command, io: CliIo): void {
  program
    .command('seal')
    .description('seal Secret manifests (SOPS with age by default, or SealedSecret)')
    .argument('[FILE...]', 'manifests to seal; - or none reads stdin and writes stdout')
    .option('-r, --recipient <AGE_RECIPIENT>', 'age recipient (repeatable); default: from .sealops.yaml / .sops.yaml', collect)
    .option('--cert <CERT_FILE_OR_URL>', 'SealedSecret certificate (implies --format sealedsecret)')
    .option('--format <FORMAT>', 'sops or sealedsecret', 'sops')
    .option('--scope <SCOPE>', 'scope binding: strict (namespace/name, the default), namespace-wide or cluster-wide')
    .option('--cluster <NAME>', 'seal for a cluster of .sealops.yaml (repeatable)', collect)
    .option('--merge-into <FILE>', 'SealedSecret: merge the Secrets of every input into this existing SealedSecret (the inputs stay as they are)')
    .option('--input-type <TYPE>', 'sops store: yaml, json, dotenv, ini or binary (default: from the file name)')
    .option('-i, --in-place', 'replace each FILE with its sealed form')
    .option('--all <PATH>', 'with -i: seal every plaintext Secret under PATH; sealed files are left untouched')
    .action(async (files: string[], opts: SealOptions) => {
      const req = request(opts);
      // .sealops.yaml is read and parsed once for all FILEs of this run.
      const ctx = { cwd: io.cwd, configCache: createConfigCache(), warn: (m: string) => warn(io, m) };
      if (opts.mergeInto !== undefined) {
        // The target is the one output: the inputs stay as they are and nothing goes to stdout.
        if (opts.inPlace) throw new UsageError('failed to parse arguments: --merge-into writes its FILE; --in-place would overwrite the inputs', { hint: 'drop --in-place' });
        if (files.includes('-') && files.length > 1) throw new UsageError('failed to parse arguments: stdin (-) cannot be merged with FILEs');
        const count = await mergeInputs(await readInputs(files.length === 0 ? [undefined] : files, io), opts.mergeInto, req, ctx);
        note(io, `merged ${count} Secret${count === 1 ? '' : 's'} into ${opts.mergeInto}`);
        return;
      }
      let inputs;
      let unchanged = 0;
      if (opts.all !== undefined) {
        if (!opts.inPlace) throw new UsageError('failed to parse arguments: --all needs --in-place', { hint: 'sealops seal -i --all PATH' });
        if (files.length > 0) throw new UsageError('failed to parse arguments: --all takes a PATH, not FILEs');
        const found = findSecretFiles(opts.all, io.cwd);
        for (const u of found.unreadable) warn(io, `skipped ${u.file}: ${u.reason}`);
        inputs = found.plaintext;
        unchanged = found.sealed.length;
      } else {
        inputs = await readInputs(checkFiles(files, opts.inPlace), io);
      }
      const bar = progress(io, 'sealing');
      let results;
      try {
        results = await sealInputs(inputs, req, { ...ctx, progress: bar.tick });
        writeResults(results, opts.inPlace, io);
      } finally {
        bar.end();
      }
      for (const r of results) if (r.fleet) note(io, `wrote ${r.input.source}: SealedSecret for cluster ${r.fleet.cluster}`);
      if (opts.inPlace) summary(io, [['sealed', inputs.length], ['unchanged', unchanged], ['failed', 0]]);
    });
}
