/**
 * The guard's three ways in: the staged index (`--staged`, what the next commit holds), the
 * working tree (`PATH…` / `--all`) and history (`--history RANGE`). Each gathers file contents,
 * judges them with {@link scanFile}, resolves secretGenerator files from the same source, and
 * applies the ignore file.
 */
import { existsSync, lstatSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { GitError, IoError, describe } from '../errors.js';
import { findWorkTree, type GitContext } from '../git/local.js';
import { listStagedFiles, readObjectSizes, readObjects } from '../git/staged.js';
import { listHistoryFiles, listWorkTreeFiles, type CommitFile } from '../git/tree.js';
import { type Finding, type Note } from './findings.js';
import { LineIndex, SCAN_MAX_FILE_BYTES, locate, oversizeFinding, toPosix } from './file.js';
import { scanFiles } from './parallel.js';
import { IGNORE_FILE, applyIgnore, parseIgnoreFile } from './ignore.js';
import { KUSTOMIZATION_NAMES, judgeGeneratorFile, type GeneratorRef } from './rules/kustomize.js';

/** What a scan found, in a form every reporter reads. */
export interface ScanReport {
  readonly mode: 'staged' | 'worktree' | 'history';
  /** Folder paths are relative to (the top of the working tree, or the scanned folder). */
  readonly root: string;
  /** Every finding, allowed ones included (with `allowed` set), sorted by path and line. */
  readonly findings: Finding[];
  readonly notes: Note[];
  readonly filesScanned: number;
  readonly bytesScanned: number;
}

/** 0 clean (or only allowed findings), 1 findings, 2 a file could not be judged. */
export function scanExitStatus(report: ScanReport): 0 | 1 | 2 {
  const open = report.findings.filter((f) => f.allowed === undefined);
  if (open.some((f) => f.severity === 'error')) return 2;
  return open.length > 0 ? 1 : 0;
}

interface Source {
  /** Reads files by repository-relative path; missing ones are absent from the map. */
  read(paths: readonly string[]): Promise<Map<string, Buffer>>;
}

interface Input {
  readonly path: string;
  /** Undefined when the file is over {@link SCAN_MAX_FILE_BYTES}. */
  readonly content: Buffer | undefined;
  readonly commit?: string;
}

/** Judges inputs, then the files their secretGenerators name (read from `source`), then the ignore file. */
async function judge(inputs: readonly Input[], source: Source, ignoreText: Buffer | undefined): Promise<Omit<ScanReport, 'mode' | 'root'>> {
  let findings: Finding[] = [];
  const notes: Note[] = [];
  const pending: { ref: GeneratorRef; from: Input }[] = [];
  let bytes = 0;
  const jobs: (Input & { content: Buffer })[] = [];
  for (const input of inputs) {
    if (input.content === undefined) {
      findings.push(oversizeFinding(input.path, input.commit));
      continue;
    }
    bytes += input.content.length;
    jobs.push(input as Input & { content: Buffer });
  }
  const verdicts = await scanFiles(jobs);
  for (const [i, input] of jobs.entries()) {
    const v = verdicts[i]!;
    findings.push(...v.findings);
    if (v.note) notes.push({ path: input.path, message: v.note, ...(input.commit ? { commit: input.commit } : {}) });
    for (const ref of v.refs) pending.push({ ref, from: input });
  }
  if (pending.length > 0) {
    const contents = await source.read([...new Set(pending.map((p) => p.ref.target))]);
    for (const { ref, from } of pending) {
      const content = contents.get(ref.target);
      if (content === undefined || from.content === undefined) continue; // kustomize itself fails on a missing file
      const raw = judgeGeneratorFile(ref, content);
      if (raw) findings.push(locate(raw, from.path, new LineIndex(from.content.toString('utf8')), from.commit));
    }
  }
  if (ignoreText !== undefined) findings = applyIgnore(findings, parseIgnoreFile(ignoreText.toString('utf8')));
  findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line || a.column - b.column));
  return { findings, notes, filesScanned: inputs.length, bytesScanned: bytes };
}

async function requireWorkTree(ctx: GitContext): Promise<string> {
  const root = await findWorkTree(ctx);
  if (root === undefined) throw new GitError(`failed to read the index: ${ctx.cwd} is not inside a git working tree`, { hint: 'run sealops scan --staged inside a git repository' });
  return root;
}

/** Index source: `:path` specs read the index git is using (GIT_INDEX_FILE honoured). */
function indexSource(ctx: GitContext, rev = ''): Source {
  return {
    async read(paths) {
      const objs = await readObjects(ctx, paths.map((p) => `${rev}:${p}`), SCAN_MAX_FILE_BYTES);
      const out = new Map<string, Buffer>();
      objs.forEach((o, i) => {
        if (o.type === 'blob' && o.content) out.set(paths[i] ?? '', o.content);
      });
      return out;
    },
  };
}

function modeNote(mode: string): string | undefined {
  if (mode === '160000') return 'skipped: submodule';
  if (mode === '120000') return 'skipped: symbolic link';
  return undefined;
}

/**
 * Judges exactly what the next commit will contain: the full staged blob of every added,
 * copied, modified or renamed file, plus the kustomization next to each changed file (so
 * changing a file a secretGenerator reads is judged too).
 */
export async function scanStaged(ctx: GitContext): Promise<ScanReport> {
  const root = await requireWorkTree(ctx);
  const g: GitContext = { cwd: root, ...(ctx.env ? { env: ctx.env } : {}) };
  const entries = await listStagedFiles(g);
  const notes: Note[] = [];
  const judged = entries.filter((e) => {
    const why = modeNote(e.mode);
    if (why) notes.push({ path: e.path, message: why });
    return why === undefined;
  });
  const staged = new Set(judged.map((e) => e.path));
  const neighbours = kustomizationNeighbours(judged.map((e) => e.path), staged);
  const extra = [...neighbours].map((p) => `:${p}`);
  // A blob over the cap is never read: sizes first (one quick batch-check), then contents.
  const sizes = await readObjectSizes(g, judged.map((e) => e.blob));
  const wanted = judged.map((e, i) => ((sizes[i] ?? 0) > SCAN_MAX_FILE_BYTES ? '' : e.blob));
  const objs = await readObjects(g, [...wanted.filter(Boolean), ...extra, `:${IGNORE_FILE}`], SCAN_MAX_FILE_BYTES);
  const inputs: Input[] = [];
  let next = 0;
  judged.forEach((e, i) => {
    if (wanted[i] === '') inputs.push({ path: e.path, content: undefined });
    else {
      const o = objs[next++];
      inputs.push({ path: e.path, content: o?.content });
    }
  });
  const extraAt = next;
  [...neighbours].forEach((p, i) => {
    const o = objs[extraAt + i];
    if (o?.type === 'blob') inputs.push({ path: p, content: o.content });
  });
  const ignore = objs.at(-1);
  const result = await judge(inputs, indexSource(g), ignore?.type === 'blob' ? ignore.content : undefined);
  return { mode: 'staged', root, ...result, notes: [...notes, ...result.notes] };
}

/**
 * The kustomization files that could name one of `paths` as a generator input: one per folder
 * of a changed file (kustomize names files relative to the kustomization; only the same folder
 * is looked at), minus those already being judged.
 */
function kustomizationNeighbours(paths: readonly string[], judged: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  for (const p of paths) {
    const dir = p.includes('/') ? p.slice(0, p.lastIndexOf('/') + 1) : '';
    for (const name of KUSTOMIZATION_NAMES) if (!judged.has(dir + name)) out.add(dir + name);
  }
  return out;
}

/** The ignore file at the top of the working tree `root`, if there is one. */
function readIgnoreFile(root: string): Buffer | undefined {
  const path = join(root, IGNORE_FILE);
  return existsSync(path) ? readFileSync(path) : undefined;
}

/** Reads repository files from disk, relative to `root`. */
function diskSource(root: string): Source {
  return {
    read(paths) {
      const out = new Map<string, Buffer>();
      for (const p of paths) {
        try {
          const full = join(root, p);
          if (statSync(full).size <= SCAN_MAX_FILE_BYTES) out.set(p, readFileSync(full));
        } catch {
          // missing or unreadable: kustomize would fail on it; nothing to judge here
        }
      }
      return Promise.resolve(out);
    },
  };
}

function readInput(root: string, path: string): Input | undefined {
  const full = join(root, path);
  try {
    // lstat: a symbolic link is not followed (it may point outside the tree), as in --staged.
    const st = lstatSync(full);
    if (!st.isFile()) return undefined;
    return { path, content: st.size <= SCAN_MAX_FILE_BYTES ? readFileSync(full) : undefined };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined; // tracked but deleted in the tree
    throw new IoError(`failed to read ${path}: ${describe(err)}`, { cause: err });
  }
}

function walk(dir: string, out: string[]): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.isFile()) out.push(full);
  }
}

/**
 * Judges the working tree: inside a git repository, the tracked and untracked-but-not-ignored
 * files under `paths` (the current folder when empty; the whole tree with `all`) plus any file
 * named explicitly; elsewhere, every file
 * under the given folders (skipping `.git` and `node_modules`).
 */
export async function scanWorkTree(ctx: GitContext, paths: readonly string[] = [], options: { all?: boolean } = {}): Promise<ScanReport> {
  for (const p of paths) if (!existsSync(resolve(ctx.cwd, p))) throw new IoError(`failed to scan ${p}: no such file or folder`);
  const top = await findWorkTree(ctx);
  const root = top ?? resolve(ctx.cwd);
  let files: string[];
  if (top !== undefined) {
    // Without paths git lists the current folder; --all means the whole tree wherever we are.
    files = await listWorkTreeFiles(options.all ? { ...ctx, cwd: top } : ctx, paths);
    const listed = new Set(files);
    for (const p of paths) {
      const full = resolve(ctx.cwd, p);
      const rel = toPosix(relative(root, full));
      if (statSync(full).isFile() && !listed.has(rel) && !rel.startsWith('..')) files.push(rel);
    }
  } else {
    const found: string[] = [];
    for (const p of paths.length > 0 ? paths : ['.']) {
      const full = resolve(ctx.cwd, p);
      if (statSync(full).isDirectory()) walk(full, found);
      else found.push(full);
    }
    files = found.map((f) => toPosix(relative(root, f)));
  }
  const inputs = files.flatMap((f) => readInput(root, f) ?? []);
  return { mode: 'worktree', root, ...(await judge(inputs, diskSource(root), readIgnoreFile(root))) };
}

/**
 * Judges every file version the commits of `range` added or changed; a version seen in several
 * commits is judged once, reported at the oldest commit that has it. The ignore file is read
 * from the working tree (today's reviewed exceptions).
 */
export async function scanHistory(ctx: GitContext, range: string): Promise<ScanReport> {
  const root = await requireWorkTree(ctx);
  const g: GitContext = { cwd: root, ...(ctx.env ? { env: ctx.env } : {}) };
  const all = (await listHistoryFiles(g, range)).reverse();
  const seen = new Set<string>();
  const versions = all.filter((f) => {
    const key = `${f.path}\0${f.blob}`;
    if (seen.has(key) || modeNote(f.mode)) return false;
    seen.add(key);
    return true;
  });
  // Sizes first, so a long history is read in bounded batches (about 64 MiB each) and blobs over
  // the cap are never read at all.
  const sizes = await readObjectSizes(g, versions.map((v) => v.blob));
  const inputs: Input[] = [];
  let batch: CommitFile[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    const objs = await readObjects(g, batch.map((v) => v.blob), SCAN_MAX_FILE_BYTES);
    batch.forEach((v, j) => inputs.push({ path: v.path, content: objs[j]?.content, commit: v.commit }));
    batch = [];
    batchBytes = 0;
  };
  for (const [i, v] of versions.entries()) {
    const size = sizes[i] ?? 0;
    if (size > SCAN_MAX_FILE_BYTES) {
      inputs.push({ path: v.path, content: undefined, commit: v.commit });
      continue;
    }
    batch.push(v);
    batchBytes += size;
    if (batchBytes >= 64 * 1024 * 1024) await flush();
  }
  if (batch.length > 0) await flush();
  // Generator files are read at the commit of the kustomization that names them.
  const byCommit = new Map<string, Input[]>();
  for (const input of inputs) {
    const list = byCommit.get(input.commit ?? '') ?? [];
    list.push(input);
    byCommit.set(input.commit ?? '', list);
  }
  const ignore = readIgnoreFile(root);
  // One commit at a time: each may start a cat-file process for its generator files.
  const parts: Awaited<ReturnType<typeof judge>>[] = [];
  for (const [commit, list] of byCommit) {
    // As for --staged: a commit that changes only a generator's input is judged through its kustomization.
    const neighbours = [...kustomizationNeighbours(list.map((i) => i.path), new Set(list.map((i) => i.path)))];
    const objs = await readObjects(g, neighbours.map((p) => `${commit}:${p}`), SCAN_MAX_FILE_BYTES);
    const extra = neighbours.flatMap((p, i) => (objs[i]?.type === 'blob' ? [{ path: p, content: objs[i]?.content, commit }] : []));
    parts.push(await judge([...list, ...extra], indexSource(g, commit), ignore));
  }
  const findings = parts.flatMap((p) => p.findings);
  findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.line - b.line));
  return {
    mode: 'history',
    root,
    findings,
    notes: parts.flatMap((p) => p.notes),
    filesScanned: parts.reduce((n, p) => n + p.filesScanned, 0),
    bytesScanned: parts.reduce((n, p) => n + p.bytesScanned, 0),
  };
}
