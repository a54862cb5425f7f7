/**
 * What `rekey` and `rotate` share: their options, the help that says what each needs, and the
 * `--all [PATH]` run (progress bar, summary, exit status, Ctrl-C that finishes what started).
 */
import type { Command } from 'commander';
import { setFlagsFromString } from 'node:v8';
import { EXIT_CODES, EXIT_INTERRUPTED, rewrapAll, UsageError, type BulkMode, type KeyRing } from '../src/index.js';
import { collect, type CliIo } from './io.js';
import { keysFor } from './keys.js';
import { note, progress, summary, warn } from './output.js';

/** Options of `rekey` and `rotate`. */
export interface RewrapOptions {
  key?: string[];
  recipient?: string[];
  cluster?: string[];
  all?: string | true;
}

/** What differs between the two commands. */
export interface RewrapCommand {
  readonly mode: BulkMode;
  readonly description: string;
  readonly recipientHelp: string;
  /** The single-file run over FILEs. */
  readonly files: (files: string[], opts: RewrapOptions, keys: KeyRing) => Promise<void>;
}

/** Registers `rekey` or `rotate`: FILEs, or `--all [PATH]`. */
export function registerRewrap(program: Command, io: CliIo, spec: RewrapCommand): void {
  program
    .command(spec.mode)
    .description(spec.description)
    .argument('[FILE...]', 'sealed files, rewritten in place')
    .option('-k, --key <KEY_FILE>', 'age identity file that opens the files (repeatable)', collect)
    .option('-r, --recipient <AGE_RECIPIENT>', spec.recipientHelp, collect)
    .option('--cluster <NAME>', 'seal for a cluster of .sealops.yaml (repeatable)', collect)
    .option('--all [PATH]', 'every sealed file under PATH (default .), in parallel; resumable')
    .addHelpText(
      'after',
      `
Keys: a SOPS file's data key is opened with an age identity it is sealed for (-k, or
SEALOPS_KEY_FILE / SOPS_AGE_KEY_FILE / SOPS_AGE_KEY). Cluster private keys never leave the
cluster, so this is what team (break-glass) recipients in .sealops.yaml are for: seal every
file for them too, and a team member can rekey or rotate the whole repository.

--all: finds SOPS files of every store (YAML, JSON, dotenv, INI) under PATH. Each file is
replaced atomically (temp file, fsync, rename) as soon as it is done, so Ctrl-C or a crash
leaves each file old or new, never broken; run the command again to finish. SealedSecrets are
skipped with a note: they are sealed to a cluster certificate, and re-encrypting them needs the
cluster. A summary (changed, unchanged, failed) goes to stderr; a failed file does not stop the
others, and the exit status is that of the first failure's error class.`,
    )
    .action(async (files: string[], opts: RewrapOptions) => {
      checkRewrapFiles(spec.mode, files, opts);
      const keys = await keysFor(opts.key, io);
      await (opts.all !== undefined ? runAll(spec.mode, opts, keys, io) : spec.files(files, opts, keys));
    });
}

/** Checks FILEs against --all and stdin. */
function checkRewrapFiles(verb: BulkMode, files: readonly string[], opts: RewrapOptions): void {
  if (opts.all !== undefined && files.length > 0) throw new UsageError(`failed to parse arguments: --all takes a PATH, not FILEs`, { hint: `sealops ${verb} --all PATH` });
  if (opts.all === undefined && files.length === 0) throw new UsageError(`failed to parse arguments: ${verb} needs FILEs or --all [PATH]`);
  if (files.includes('-')) throw new UsageError(`failed to parse arguments: ${verb} rewrites FILEs in place; stdin is not supported`);
}

const DONE: Record<BulkMode, string> = { rekey: 'rekeyed', rotate: 'rotated' };

/** Runs `--all`: prints progress, notes, the summary and failures; sets the exit status. */
async function runAll(mode: BulkMode, opts: RewrapOptions, keys: KeyRing, io: CliIo): Promise<void> {
  const root = opts.all === true || opts.all === undefined ? '.' : opts.all;
  // A bulk run is one loop over the same code for about a second. V8, tiering up as eagerly as
  // for a long-lived server, spent half the run's CPU compiling functions (the YAML parser's,
  // the age code) that were done before the compiled code paid back. Tiering up later made
  // `rekey --all` of 1,000 files 20% faster (bench/rekey.mjs). The flag is process-wide, read as
  // functions warm up, so it also reaches the bulk workers started after it.
  setFlagsFromString('--interrupt-budget=2000000');
  const bar = progress(io, mode === 'rekey' ? 'rekeying' : 'rotating');
  // Ctrl-C stops starting files; those under way finish, so the summary is true. A second Ctrl-C kills.
  const stop = new AbortController();
  const onSigint = (): void => stop.abort();
  process.once('SIGINT', onSigint);
  let report;
  try {
    report = await rewrapAll(
      mode,
      { root, keys, ...(opts.recipient ? { recipients: opts.recipient } : {}), ...(opts.cluster ? { clusters: opts.cluster } : {}), ...(io.bulk ? { helpers: io.bulk } : {}) },
      { cwd: io.cwd, progress: bar.tick, warn: (m) => warn(io, m), signal: stop.signal },
    );
  } finally {
    process.removeListener('SIGINT', onSigint);
    bar.end();
  }
  if (report.leftoversRemoved.length > 0) note(io, `removed ${report.leftoversRemoved.length} temp file(s) an interrupted run left`);
  for (const s of report.skipped) note(io, `skipped ${s.file}: ${s.reason}`);
  for (const f of report.failed) io.stderr.write(`sealops: failed: ${f.file}: ${f.reason}\n`);
  summary(io, [
    [`${DONE[mode]}: changed`, report.changed.length],
    ['unchanged', report.unchanged.length],
    ['failed', report.failed.length],
    ...(report.skipped.length > 0 ? ([['skipped', report.skipped.length]] as const) : []),
    ...(report.notReached.length > 0 ? ([['not reached', report.notReached.length]] as const) : []),
  ]);
  if (report.notReached.length > 0) {
    warn(io, `interrupted: ${report.notReached.length} file(s) not reached; run the command again to finish`);
    io.exitCode = EXIT_INTERRUPTED;
  } else if (report.failed[0]) io.exitCode = EXIT_CODES[report.failed[0].error.code];
}
