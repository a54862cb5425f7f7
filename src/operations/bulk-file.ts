/**
 * One file of `rekey --all` / `rotate --all`, the same on the main thread and in a bulk worker
 * (bulk-threads.ts): read, re-wrapped or rotated, and replaced atomically and durably.
 */
import { dirname, resolve } from 'node:path';
import { ConfigError, SealopsError } from '../errors.js';
import { detectFormat, formatFor, readInputFile, replaceFile, type SpareInodes } from '../formats/index.js';
import { metadataRecipients, readSopsMetadata, type KeyPlan } from '../formats/sops/index.js';
import { resolveRecipients, type ConfigCache } from '../keys/config.js';
import { sealedKind } from './discover.js';
import { keyPlanOf, type RewrapRequest } from './index.js';

/** What a bulk run is: `rekey` (re-wrap data keys, values untouched) or `rotate` (new data keys). */
export type BulkMode = 'rekey' | 'rotate';

/** Whether a file's metadata already names exactly the plan's recipients (no groups either side). */
function alreadyAt(text: string, file: string, format: ReturnType<typeof detectFormat>, plan: KeyPlan): boolean {
  // Most files of a first run lack a target recipient: a text search says so without a parse.
  if (plan.keyGroups || !(plan.recipients ?? []).every((r) => text.includes(r))) return false;
  const meta = readSopsMetadata(text, { format: format.store, source: file });
  if (meta.keyGroups) return false;
  const have = new Set(metadataRecipients(meta));
  const want = new Set(plan.recipients ?? []);
  return have.size === want.size && [...want].every((r) => have.has(r));
}

/** Rekey: the given or configured recipients. Rotate: the given ones, else the file's own (undefined). */
async function targetPlan(mode: BulkMode, path: string, request: RewrapRequest, cwd: string, cache: ConfigCache): Promise<KeyPlan | undefined> {
  if (request.recipients && request.recipients.length > 0) return { recipients: [...request.recipients] };
  if (mode === 'rotate' && !request.clusters) return undefined;
  return keyPlanOf(await resolveRecipients({ target: path, cwd, ...(request.clusters ? { clusters: [...request.clusters] } : {}), cache }));
}

/**
 * What became of one file: changed (with its folder, to flush), unchanged, failed, a SealedSecret
 * (`sealedSecret`: nothing to re-wrap here), or not sealed at all (`plain`: not part of the run).
 */
export type FileOutcome = { readonly dir: string } | { readonly unchanged: true } | { readonly failed: SealopsError } | { readonly kind: 'sealedSecret' | 'plain' };

/** What every file of a run shares: set once, on each thread that works on the run. */
export interface FileRun {
  readonly mode: BulkMode;
  readonly request: RewrapRequest;
  readonly cwd: string;
  readonly cache: ConfigCache;
}

/**
 * Rekeys or rotates one file and writes it (atomically, durably) when it changed; `spares`, the
 * thread's old inodes to write into (files of a run are sealed before and after).
 */
export async function rewrapFile(run: FileRun, file: string, spares?: SpareInodes): Promise<FileOutcome> {
  const { mode, request, cwd } = run;
  try {
    const input = readInputFile(file, cwd);
    // Each file is sorted by the thread that claims it (read once, not once more to find the run's files).
    const kind = sealedKind(input.text);
    if (kind !== 'sops') return { kind: kind === 'sealedsecret' ? 'sealedSecret' : 'plain' };
    const path = input.path ?? resolve(cwd, file);
    const format = detectFormat(input);
    const plan = await targetPlan(mode, path, request, cwd, run.cache);
    if (mode === 'rekey' && (plan?.recipients ?? []).length === 0) {
      throw new ConfigError(`failed to choose recipients for ${file}: none given and none configured`, { hint: 'pass -r age1… or add a path rule for it to .sealops.yaml' });
    }
    if (mode === 'rekey' && plan && alreadyAt(input.text, file, format, plan)) return { unchanged: true };
    const sealed = { text: input.text, source: file, format };
    const adapter = formatFor(format.kind);
    const output = mode === 'rekey' && plan ? await adapter.rekey(sealed, request.keys, plan) : await adapter.rotate(sealed, request.keys, plan);
    if (output === input.text) return { unchanged: true };
    replaceFile(path, output, { durable: true, ...(spares ? { spares } : {}) });
    return { dir: dirname(path) };
  } catch (err) {
    if (!(err instanceof SealopsError)) throw err;
    return { failed: err };
  }
}

