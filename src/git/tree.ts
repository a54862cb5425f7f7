/**
 * Listing the working tree (tracked and untracked-but-not-ignored files) and walking the files
 * that commits in a range added or changed, for `sealops scan [PATH…]` and `--history`.
 */
import { GitError } from '../errors.js';
import { execGit, splitNul, type GitContext } from './local.js';
import { parseRawDiff } from './staged.js';

/**
 * Files of the working tree under `paths` (all when empty): tracked files plus untracked files
 * that are not ignored, as paths relative to the top of the tree. Run from `ctx.cwd`, so
 * relative `paths` are relative to it.
 */
export async function listWorkTreeFiles(ctx: GitContext, paths: readonly string[] = []): Promise<string[]> {
  const out = await execGit(ctx, ['ls-files', '-z', '--full-name', '--cached', '--others', '--exclude-standard', '--', ...paths]);
  return [...new Set(splitNul(out))];
}

/** One file version a commit added or changed. */
export interface CommitFile {
  /** The commit that introduced this version. */
  readonly commit: string;
  /** Path relative to the top of the tree. */
  readonly path: string;
  /** Blob id of the version. */
  readonly blob: string;
  /** Git file mode. */
  readonly mode: string;
}

/**
 * Every file version added, copied, modified or renamed by the commits of `range`
 * (anything `git rev-list` accepts: `main..HEAD`, `HEAD~10..`, a single commit means all its
 * ancestors). Merge commits are judged against their first parent.
 */
export async function listHistoryFiles(ctx: GitContext, range: string): Promise<CommitFile[]> {
  if (range.startsWith('-')) throw new GitError(`failed to read history: range must not start with '-'`);
  const revs = (await execGit(ctx, ['rev-list', range, '--'])).toString('utf8').split('\n').filter(Boolean);
  if (revs.length === 0) return [];
  const out = await execGit(ctx, ['diff-tree', '--stdin', '-r', '-z', '--root', '--no-renames', '-m', '--first-parent', '--diff-filter=ACMR'], {
    input: revs.join('\n') + '\n',
  });
  // With --stdin each commit's block starts with its id as a field of its own.
  const files: CommitFile[] = [];
  const fields = splitNul(out);
  let commit = '';
  let block: string[] = [];
  const flush = (): void => {
    if (commit === '' || block.length === 0) return;
    for (const e of parseRawDiff(Buffer.from(block.join('\0') + '\0'))) files.push({ commit, path: e.path, blob: e.blob, mode: e.mode });
  };
  let pathsDue = 0;
  for (const f of fields) {
    if (pathsDue > 0) {
      block.push(f);
      pathsDue--;
    } else if (f.startsWith(':')) {
      block.push(f);
      const letter = f.split(' ')[4]?.charAt(0) ?? '';
      pathsDue = letter === 'C' || letter === 'R' ? 2 : 1;
    } else {
      flush();
      commit = f;
      block = [];
    }
  }
  flush();
  return files;
}
