/**
 * Reading the files of one revision for `sealops diff`: a commit straight from git's object
 * store (`ls-tree` + `cat-file --batch`: the user's work tree and index are never touched), or
 * the working tree as `git` sees it (tracked files plus untracked ones that are not ignored, so a
 * decrypted copy kept out of git by `.gitignore` is never read).
 *
 * Plain `git` through the guard's {@link execGit} is used rather than simple-git: these are
 * read-only plumbing commands on the user's own repository, and `cat-file --batch` streams every
 * blob through one process.
 */
import { readFile, lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, posix, relative } from 'node:path';
import { GitError, InputError } from '../errors.js';
import type { BuildInput } from '../build/index.js';
import { execGit, splitNul, type GitContext } from '../git/local.js';
import { readObjects } from '../git/staged.js';
import { listWorkTreeFiles } from '../git/tree.js';

/** One side of a diff: the files and what they were read from. */
export interface RevisionFiles {
  /** What the user asked for (`main`, `HEAD~1`, or `working tree`). */
  readonly ref: string;
  /** The commit id, when the side is a commit. */
  readonly commit?: string;
  readonly files: BuildInput[];
}

/** Resolves `ref` to a commit id; throws GitError naming the ref when it names no commit. */
export async function resolveCommit(ctx: GitContext, ref: string): Promise<string> {
  if (ref === '' || ref.startsWith('-')) throw new GitError(`failed to resolve ${JSON.stringify(ref)}: not a revision`);
  try {
    return (await execGit(ctx, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`])).toString('utf8').trim();
  } catch (err) {
    throw new GitError(`failed to resolve ${ref}: no such commit`, { cause: err, hint: 'fetch the branch first (git fetch origin main) or name a commit' });
  }
}

/**
 * Every file of `commit` as the source stage would hand it to the build: regular files, and
 * symlinks that resolve to a file inside the tree (one pointing outside refuses the revision).
 * Submodules are skipped.
 */
export async function readCommitFiles(ctx: GitContext, commit: string): Promise<BuildInput[]> {
  const entries = splitNul(await execGit(ctx, ['ls-tree', '-r', '-z', '--full-tree', commit]))
    .map((line) => {
      const tab = line.indexOf('\t');
      const [mode = '', type = '', id = ''] = line.slice(0, tab).split(' ');
      return { mode, type, id, path: line.slice(tab + 1) };
    })
    .filter((e) => e.type === 'blob');
  const ids = [...new Set(entries.map((e) => e.id))];
  const blobs = new Map<string, Buffer>();
  for (const o of await readObjects(ctx, ids)) {
    if (o.content === undefined) throw new GitError(`failed to read blob ${o.spec}: missing from the object store`);
    blobs.set(o.spec, o.content);
  }
  const byPath = new Map(entries.filter((e) => e.mode !== '120000').map((e) => [e.path, blobs.get(e.id)!]));
  const out: BuildInput[] = [];
  for (const e of entries) {
    if (e.mode !== '120000') {
      out.push({ path: e.path, content: blobs.get(e.id)! });
      continue;
    }
    const target = posix.normalize(posix.join(posix.dirname(e.path), blobs.get(e.id)!.toString('utf8')));
    if (target === '..' || target.startsWith('../') || posix.isAbsolute(target)) throw new InputError(`failed to read ${e.path}: symlink points outside the repository`);
    const content = byPath.get(target);
    if (content) out.push({ path: e.path, content });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The working tree's files (tracked, plus untracked and not ignored), read from disk. */
export async function readWorkTreeFiles(ctx: GitContext, top: string): Promise<BuildInput[]> {
  const realTop = await realpath(top);
  const out: BuildInput[] = [];
  for (const path of (await listWorkTreeFiles({ ...ctx, cwd: top })).sort()) {
    const full = join(top, path);
    const info = await lstat(full).catch(() => undefined);
    if (!info) continue; // deleted in the work tree, not yet committed
    if (info.isSymbolicLink()) {
      const target = await realpath(full).catch(() => undefined);
      if (target === undefined) continue;
      const inside = relative(realTop, target);
      if (inside.startsWith('..') || isAbsolute(inside)) throw new InputError(`failed to read ${path}: symlink points outside the repository`);
    } else if (!info.isFile()) continue;
    const content = await readFile(full).catch(() => undefined);
    if (content) out.push({ path, content });
  }
  return out;
}

/** Reads one side: a ref from the object store, or the working tree when `ref` is undefined. */
export async function readRevision(ctx: GitContext, top: string, ref: string | undefined): Promise<RevisionFiles> {
  if (ref === undefined) return { ref: 'working tree', files: await readWorkTreeFiles(ctx, top) };
  const commit = await resolveCommit(ctx, ref);
  return { ref, commit, files: await readCommitFiles(ctx, commit) };
}
