/**
 * `rekey --all` and `rotate --all`: every sealed file under a folder, re-wrapped for the
 * configured recipients or given new data keys, in parallel: on every core (bulk-threads.ts),
 * several files at once on each.
 *
 * Resumable by construction: each file is replaced on its own, atomically and durably (temp
 * file beside it, fsync, rename), so a crash or a signal leaves every file old or new, never
 * broken. A rerun finishes the job: a file already sealed for its target recipients is
 * `unchanged` and not rewritten, and temp files a killed run left behind are removed.
 * One file failing (no key opens it, it is corrupt or unreadable) is reported and the others go on.
 */
import { unlink } from 'node:fs/promises';
import { dirname, relative, resolve, sep } from 'node:path';
import type { SealopsError } from '../errors.js';
import { syncFolder } from '../formats/index.js';
import { createConfigCache, resolveRecipients, type ConfigCache, type SealopsConfig } from '../keys/config.js';
import { unmatchedRules } from '../keys/path-rules.js';
import { mapLimit } from '../util/pool.js';
import type { BulkMode } from './bulk-file.js';
import { rewrapFiles, startHelpers, stopHelpers, threadsFor, type BulkHelpers } from './bulk-threads.js';
import { isLeftover, sealedCandidates } from './discover.js';
import type { OperationContext, RewrapRequest } from './index.js';

export type { BulkMode } from './bulk-file.js';

/** One file that failed, with the reason (names and paths only, never a value) and its error. */
export interface BulkFailure {
  readonly file: string;
  readonly reason: string;
  readonly error: SealopsError;
}

/** The outcome of a bulk run; file names are relative to the context's `cwd`. */
export interface BulkReport {
  readonly changed: string[];
  readonly unchanged: string[];
  readonly failed: BulkFailure[];
  /** Files not touched on purpose (SealedSecrets), with why. */
  readonly skipped: { readonly file: string; readonly reason: string }[];
  /** Files not reached because the run was interrupted (the signal in the context fired); not yet read, so some may hold nothing sealed. */
  readonly notReached: string[];
  /** Temp files of an interrupted earlier run that were removed. */
  readonly leftoversRemoved: string[];
}

/** Options of {@link rewrapAll}. */
export interface BulkRequest extends RewrapRequest {
  /** The folder to search (relative to `cwd`); default `.`. */
  readonly root?: string;
  /** Workers started ahead ({@link startHelpers}, by a CLI before it loads); stopped when the run does not need them. */
  readonly helpers?: BulkHelpers;
}

/** Folders flushed at once. */
const CONCURRENCY = 8;

const SEALED_SECRET_NOTE =
  'a SealedSecret is sealed to its cluster certificate and has no data key to re-wrap here; re-encrypt it with the cluster (`kubeseal --re-encrypt` or the agent re-encrypt endpoint)';

/**
 * Rekeys or rotates every sealed file under `request.root`. Each file is written as soon as it
 * is done (never all at the end), which is what makes the run resumable. Warns (through
 * `ctx.warn`) about path rules of the configuration that match no file under the folder.
 */
export async function rewrapAll(mode: BulkMode, request: BulkRequest, ctx: OperationContext & { readonly signal?: AbortSignal }): Promise<BulkReport> {
  const root = request.root ?? '.';
  const cache = createConfigCache();
  // Files are found by name and each is read, sorted and done by the thread that claims it, so
  // the threads start at once; the workers start first, their start-up overlapping the config.
  const candidates = sealedCandidates(root, ctx.cwd);
  const leftovers = candidates.filter(isLeftover);
  const files = candidates.filter((f) => !isLeftover(f)).map((f) => relative(ctx.cwd, f) || f);
  const helpers = request.helpers ?? startHelpers(threadsFor(files.length) - 1);
  let config: SealopsConfig | undefined;
  try {
    // A broken configuration (a rule naming an unknown cluster, an unknown --cluster) is one
    // error of the run, raised before any file is touched, not a failure of every file.
    config = await governingConfig(root, request, ctx, cache);
  } catch (err) {
    await stopHelpers(helpers);
    throw err;
  }
  const report: BulkReport = { changed: [], unchanged: [], failed: [], skipped: [], notReached: [], leftoversRemoved: [] };
  for (const path of leftovers) {
    const file = relative(ctx.cwd, path) || path;
    await unlink(path).then(() => report.leftoversRemoved.push(file), () => undefined);
  }
  const outcomes = await rewrapFiles(files, { mode, request, cwd: ctx.cwd, cache, ...(helpers ? { helpers } : {}), ...(ctx.signal ? { signal: ctx.signal } : {}), ...(ctx.progress ? { progress: ctx.progress } : {}) });
  // The renames themselves reach the disk once per folder, not once per file: each temp file
  // was flushed (fdatasync) before its rename, so a crash before this leaves the old file or the
  // complete new one under each name, and this makes the new names survive a power loss.
  const touched = new Set(outcomes.flatMap((o) => (o && 'dir' in o ? [o.dir] : [])));
  await mapLimit([...touched], CONCURRENCY, syncFolder);
  const sealed: string[] = [];
  for (const [i, outcome] of outcomes.entries()) {
    const file = files[i] ?? '';
    if (outcome !== undefined && !('kind' in outcome && outcome.kind === 'plain')) sealed.push(file);
    if (outcome === undefined) report.notReached.push(file);
    else if ('dir' in outcome) report.changed.push(file);
    else if ('failed' in outcome) report.failed.push({ file, reason: outcome.failed.message.split('\n')[0] ?? '', error: outcome.failed });
    else if ('kind' in outcome) {
      if (outcome.kind === 'sealedSecret') report.skipped.push({ file, reason: SEALED_SECRET_NOTE });
    } else report.unchanged.push(file);
  }
  report.failed.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  // An interrupted run has not read every file, so it cannot tell a rule matches none.
  if (config && report.notReached.length === 0) warnUnmatchedRules(config, root, sealed, ctx);
  return report;
}

/** The `.sealops.yaml` that governs `root`, parsed (and so checked) before the run; undefined when none. */
async function governingConfig(root: string, request: RewrapRequest, ctx: OperationContext, cache: ConfigCache): Promise<SealopsConfig | undefined> {
  const probe = resolve(ctx.cwd, root, '.sealops-probe');
  const resolved = await resolveRecipients({ target: probe, cwd: ctx.cwd, ...(request.clusters ? { clusters: [...request.clusters] } : {}), cache });
  return resolved.configFile ? cache.parsed.get(resolved.configFile) : undefined;
}

/**
 * Warns about path rules that none of the sealed files found under `root` matches: a typo or a
 * moved folder that would seal nothing. Only when the run covers the config's whole folder, so
 * a rule for a folder outside the run is not reported.
 */
function warnUnmatchedRules(cfg: SealopsConfig, root: string, files: readonly string[], ctx: OperationContext): void {
  const base = dirname(cfg.file);
  if (!ctx.warn || relative(resolve(ctx.cwd, root), base).startsWith('..')) return;
  const rel = files.map((f) => relative(base, resolve(ctx.cwd, f)).split(sep).join('/'));
  for (const { index, rule } of unmatchedRules(cfg.rules, rel)) {
    ctx.warn(`${relative(ctx.cwd, cfg.file) || cfg.file}: rules[${index}] (${rule.path}) matches no sealed file under ${root}`);
  }
}
