/**
 * `sealops diff --from REF [--to REF] [PATH]`: what a pull request changes, object by object and
 * secret key by secret key, without a cluster and without a key.
 *
 * Each side goes through the agent's own build stage ({@link renderPath}: kustomize when PATH
 * holds a kustomization, the plain-manifest reader otherwise). Nothing is decrypted: sealed
 * values are compared by their ciphertext (sealed.ts). The files of a commit come from git's
 * object store; kustomize reads them from its private temp copy, which holds only committed,
 * sealed bytes.
 */
import { posix, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';
import { renderPath } from '../build/render.js';
import type { KustomizeOptions } from '../build/kustomize.js';
import { execGit, findWorkTree, splitNul, type GitContext } from '../git/local.js';
import { indexSealedSources } from '../agent/decrypt/sources.js';
import { scanWorkTree } from '../scan/scan.js';
import type { BuildInput } from '../build/index.js';
import { compareBuilds, type ObjectChange } from './compare.js';
import { readRevision } from './revision.js';

export { compareBuilds, type ChangeKind, type KeyStatus, type ObjectChange, type ObjectId, type SecretKeys } from './compare.js';
export { viewObject, SEALED_VALUE, HIDDEN_VALUE, type ObjectView, type SealedFormat } from './sealed.js';
export { unifiedDiff } from './unified.js';
export { readCommitFiles, readWorkTreeFiles, resolveCommit, type RevisionFiles } from './revision.js';
export { formatDiff, type DiffOutput } from './report.js';
export { textconv } from './textconv.js';
export { installDiffDriver, uninstallDiffDriver, type DiffDriverResult } from './driver.js';

/** Exit statuses of `sealops diff`, as `kubectl diff` and `flux diff` use them. */
export const DIFF_EXIT = Object.freeze({ NO_CHANGES: 0, CHANGES: 1, ERROR: 2 });

/** What to compare. */
export interface RevisionDiffOptions {
  /** Where git runs (any folder inside the repository) and its environment. */
  readonly git: GitContext;
  readonly from: string;
  /** The other side; the working tree when absent. */
  readonly to?: string;
  /** Folder to build, relative to `git.cwd` (default: the repository's root). */
  readonly path?: string;
  readonly kustomize?: KustomizeOptions;
}

/** One side as reported. */
export interface DiffSide {
  readonly ref: string;
  readonly commit?: string;
}

/** The result of a revision diff. */
export interface RevisionDiff {
  readonly from: DiffSide;
  readonly to: DiffSide;
  /** The folder built, relative to the repository root (`.` for the root). */
  readonly path: string;
  /** Every object that differs, by kind, namespace and name. */
  readonly objects: ObjectChange[];
  readonly summary: { readonly added: number; readonly removed: number; readonly changed: number };
  /** Every ciphertext seen on either side: the report formatter refuses output that contains one. */
  readonly ciphertexts: readonly string[];
  /** How secret values were compared, when not by ciphertext alone (a live diff). */
  readonly method?: string;
}

/** Builds both revisions of `options.path` and compares them. Throws a SealopsError on any failure. */
export async function diffRevisions(options: RevisionDiffOptions): Promise<RevisionDiff> {
  const top = await findWorkTree(options.git);
  if (!top) throw new InputError(`failed to diff ${options.git.cwd}: not inside a git working tree`);
  const abs = resolve(options.git.cwd, options.path ?? top);
  const rel = relative(top, abs).split(sep).join('/');
  if (rel === '..' || rel.startsWith('../') || posix.isAbsolute(rel)) throw new InputError(`failed to diff ${options.path ?? '.'}: the path must be inside the repository`);
  const ctx = { ...options.git, cwd: top };
  const sides = await Promise.all([readRevision(ctx, top, options.from), readRevision(ctx, top, options.to)]);
  if (options.to === undefined) await refusePlaintext(ctx, sides[1].files);
  const built = [];
  for (const side of sides) {
    try {
      const r = await renderPath({ files: side.files, path: rel, kustomize: options.kustomize });
      built.push({ manifests: r.manifests, index: indexSealedSources(side.files) });
    } catch (err) {
      if (err instanceof Error) err.message = `${side.ref}: ${err.message}`;
      throw err;
    }
  }
  const objects = compareBuilds(built[0]!, built[1]!);
  const count = (a: string): number => objects.filter((o) => o.action === a).length;
  return {
    from: { ref: sides[0].ref, ...(sides[0].commit ? { commit: sides[0].commit } : {}) },
    to: { ref: sides[1].ref, ...(sides[1].commit ? { commit: sides[1].commit } : {}) },
    path: rel || '.',
    objects,
    summary: { added: count('added'), removed: count('removed'), changed: count('changed') },
    ciphertexts: collectCiphertexts(built.flatMap((b) => b.manifests)),
  };
}

/**
 * kustomize reads a temporary copy of the files. Committed files are already in git, but an
 * uncommitted one (changed since HEAD, or untracked and not ignored) may hold plaintext: the
 * guard judges each, and a finding stops the diff before anything is copied.
 */
async function refusePlaintext(ctx: GitContext, work: readonly BuildInput[]): Promise<void> {
  const present = new Set(work.map((f) => f.path));
  const changedSinceHead = await execGit(ctx, ['diff', '--name-only', '-z', '--no-renames', 'HEAD', '--'])
    .then(splitNul)
    .catch(() => [...present]); // no HEAD yet: every file is uncommitted
  const untracked = splitNul(await execGit(ctx, ['ls-files', '-z', '--others', '--exclude-standard', '--full-name']));
  const changed = [...new Set([...changedSinceHead, ...untracked])].filter((p) => present.has(p));
  if (changed.length === 0) return;
  const found = (await scanWorkTree(ctx, changed)).findings[0];
  if (found) {
    throw new InputError(`failed to diff the working tree: ${found.path}:${found.line} holds what the guard refuses (${found.rule}), and kustomize would read a copy of it`, {
      hint: 'seal it (sealops seal -i FILE) or ignore it in .gitignore; sealops scan lists every finding',
    });
  }
}

const ENC_PREFIX = 'ENC[AES256_GCM,';

function collectCiphertexts(manifests: readonly { object: unknown }[]): string[] {
  const out = new Set<string>();
  const walk = (v: unknown, parentKey: string): void => {
    if (typeof v === 'string') {
      if (v.startsWith(ENC_PREFIX)) {
        // The data part alone is what must never be printed (the envelope's frame is public syntax).
        const data = /data:([^,]*)/.exec(v)?.[1];
        if (data && data.length >= 8) out.add(data);
      } else if (parentKey === 'encryptedData' && v.length >= 16) out.add(v);
    } else if (Array.isArray(v)) v.forEach((x) => walk(x, parentKey));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, typeof x === 'object' && x !== null && !Array.isArray(x) ? k : parentKey);
  };
  for (const m of manifests) walk(m.object, '');
  return [...out];
}
