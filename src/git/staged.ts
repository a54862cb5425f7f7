/**
 * What the next commit will contain: the staged paths and their blob ids, read from the index
 * git is using (`GIT_INDEX_FILE` is honoured because the environment is passed through), and
 * the blobs themselves through one `git cat-file --batch` process.
 */
import { GitError } from '../errors.js';
import { emptyTreeId, execGit, headCommit, splitNul, type GitContext } from './local.js';

/** One added, copied, modified or renamed file in the index. */
export interface StagedEntry {
  /** Path relative to the top of the working tree, `/`-separated. */
  readonly path: string;
  /** Id of the staged blob. */
  readonly blob: string;
  /** Git file mode of the staged entry (`100644`, `100755`, `120000` symlink, `160000` submodule). */
  readonly mode: string;
  /** `A`, `C`, `M` or `R` (renames show as `A` because rename detection is off: the new path is judged whole). */
  readonly status: string;
}

/**
 * Parses `git diff-index -z` / `git diff-tree -z` raw output (`:old new oldId newId S\0path\0`).
 * Entries whose status letter is not in `statuses` are dropped.
 */
export function parseRawDiff(out: Buffer, statuses = 'ACMR'): StagedEntry[] {
  const fields = splitNul(out);
  const entries: StagedEntry[] = [];
  for (let i = 0; i < fields.length; i++) {
    const meta = fields[i] ?? '';
    if (!meta.startsWith(':')) continue;
    const [, newMode = '', , newId = '', status = ''] = meta.slice(1).split(' ');
    const letter = status.charAt(0);
    // Copies and renames carry two paths (source, destination); the destination is what lands.
    const paths = letter === 'C' || letter === 'R' ? 2 : 1;
    const path = fields[i + paths] ?? '';
    i += paths;
    if (statuses.includes(letter)) entries.push({ path, blob: newId, mode: newMode, status: letter });
  }
  return entries;
}

/**
 * Lists every file the next commit adds or changes (`--diff-filter=ACMR`), compared with HEAD
 * (or the empty tree before the first commit), with the blob id staged for it.
 */
export async function listStagedFiles(ctx: GitContext): Promise<StagedEntry[]> {
  const base = (await headCommit(ctx)) ?? (await emptyTreeId(ctx));
  const out = await execGit(ctx, ['diff-index', '--cached', '-z', '--no-renames', '--diff-filter=ACMR', base, '--']);
  return parseRawDiff(out);
}

/** Every path in the index git is using (`git ls-files -z`), relative to the top of the tree. */
export async function listIndexPaths(ctx: GitContext): Promise<string[]> {
  return splitNul(await execGit(ctx, ['ls-files', '-z', '--full-name']));
}

/** One object returned by {@link readObjects}. */
export interface GitObject {
  /** The spec that was asked for (a blob id, `:path`, or `rev:path`). */
  readonly spec: string;
  /** `blob`, `tree`, …; `missing` when git has no such object. */
  readonly type: string;
  /** Object size in bytes. */
  readonly size: number;
  /** The content, or undefined when missing or larger than the cap. */
  readonly content: Buffer | undefined;
}

/**
 * Reads objects through one `git cat-file --batch` process. Specs are blob ids, `:path` (the
 * index git is using) or `rev:path`. Objects larger than `maxBytes` come back without content.
 * A spec containing a newline cannot be asked for this way and comes back `missing`.
 */
export async function readObjects(ctx: GitContext, specs: readonly string[], maxBytes = Infinity): Promise<GitObject[]> {
  const asked = specs.filter((s) => !s.includes('\n'));
  const parsed = asked.length === 0 ? [] : parseBatch(await execGit(ctx, ['cat-file', '--batch'], { input: asked.join('\n') + '\n', maxBuffer: Infinity }), asked, maxBytes);
  const bySpec = new Map(parsed.map((o) => [o.spec, o]));
  return specs.map((spec) => bySpec.get(spec) ?? { spec, type: 'missing', size: 0, content: undefined });
}

/** Parses `cat-file --batch` output: `<id> <type> <size>\n<content>\n` or `<spec> missing\n` per spec. */
function parseBatch(out: Buffer, specs: readonly string[], maxBytes: number): GitObject[] {
  const objects: GitObject[] = [];
  let pos = 0;
  for (const spec of specs) {
    const nl = out.indexOf(0x0a, pos);
    if (nl < 0) throw new GitError('failed to read git objects: cat-file output ended early');
    const header = out.toString('utf8', pos, nl);
    pos = nl + 1;
    const parts = header.split(' ');
    if (parts.length !== 3 || !/^\d+$/.test(parts[2] ?? '')) {
      // `<spec> missing` or `<spec> ambiguous`: no content follows.
      objects.push({ spec, type: 'missing', size: 0, content: undefined });
      continue;
    }
    const size = Number(parts[2]);
    const content = size <= maxBytes ? out.subarray(pos, pos + size) : undefined;
    objects.push({ spec, type: parts[1] ?? '', size, content });
    pos += size + 1;
  }
  return objects;
}

/** Sizes in bytes of the objects named by `ids` (`git cat-file --batch-check`); -1 for a missing one. */
export async function readObjectSizes(ctx: GitContext, ids: readonly string[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const out = await execGit(ctx, ['cat-file', '--batch-check=%(objectsize)'], { input: ids.join('\n') + '\n' });
  const lines = out.toString('utf8').split('\n');
  return ids.map((_, i) => {
    const line = lines[i] ?? '';
    return /^\d+$/.test(line) ? Number(line) : -1;
  });
}
