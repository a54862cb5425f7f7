/**
 * Shallow fetch of one ref into a private bare repository, then reading the tree straight from
 * the object database. No working tree is ever checked out, so `.gitattributes` filters, LFS
 * smudging and checkout hooks of the fetched repository never run.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join, posix } from 'node:path';
import { GitError, redact } from '../errors.js';
import { hardeningConfig, privateTempDir, runGit, type GitRun } from './source-exec.js';
import { blobFilterArg, forgetPromisor, missingObjects } from './source-filter.js';
import { CommitSignatureError, verifyCommitSignature, type SignatureKeys } from './verify.js';

/** Why a fetch failed, for the Sync's status reason. */
export type SourceFailure =
  | 'Unreachable'
  | 'AuthenticationFailed'
  | 'RefNotFound'
  | 'Timeout'
  | 'InvalidSource'
  | 'SymlinkEscape'
  | 'FileTooLarge'
  | 'SignatureVerificationFailed'
  | 'GitFailed';

/** A git error with a machine-readable reason. Its message never carries credentials. */
export class SourceError extends GitError {
  /** Why the source could not be fetched. */
  readonly reason: SourceFailure;
  /** The fetched commit, when the failure came after the fetch (e.g. a refused signature). */
  readonly commit?: string;
  constructor(reason: SourceFailure, message: string, options?: { cause?: unknown; hint?: string; commit?: string }) {
    super(message, options);
    this.reason = reason;
    this.commit = options?.commit;
  }
}

/** Which ref to fetch. Exactly one field, or none for the remote's HEAD. */
export interface GitRef {
  readonly branch?: string;
  readonly tag?: string;
  readonly commit?: string;
}

/** Credentials for the remote. */
export type GitAuth =
  | { readonly kind: 'none' }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'ssh'; readonly privateKey: string; readonly knownHosts: string };

/** Options of {@link fetchSnapshot}. */
export interface FetchOptions {
  /** `https://`, `http://`, `ssh://` or `file://` URL. */
  readonly url: string;
  readonly ref?: GitRef;
  readonly auth?: GitAuth;
  /** Private folder for the bare repository; reused across fetches of the same source. */
  readonly workDir: string;
  /** Only files under this repository-relative folder are read ('' or '.' for all). */
  readonly subdir?: string;
  /** Time limit of the whole fetch, in milliseconds (default 60 s). */
  readonly timeoutMs?: number;
  /** Largest file read, in bytes (default {@link DEFAULT_MAX_FILE_BYTES}). */
  readonly maxFileBytes?: number;
  /** Largest total read, in bytes (default {@link DEFAULT_MAX_TOTAL_BYTES}). */
  readonly maxTotalBytes?: number;
  /** When set, the fetched commit must be signed by one of these keys before any file is read. */
  readonly verify?: SignatureKeys;
}

/** One regular file of the fetched tree. */
export interface SnapshotFile {
  /** Repository-relative POSIX path. */
  readonly path: string;
  readonly content: Buffer;
}

/** What a fetch produced. */
export interface Snapshot {
  /** The full commit id fetched. */
  readonly commit: string;
  /** Regular files under the requested folder, sorted by path (symlinks resolved inside the repository). */
  readonly files: SnapshotFile[];
}

/** Default per-file cap: CRD bundles are often several MiB. */
export const DEFAULT_MAX_FILE_BYTES = 8 * 1024 * 1024;
/** Default cap on the bytes of all files one reconcile reads. */
export const DEFAULT_MAX_TOTAL_BYTES = 64 * 1024 * 1024;

const SHA = /^[0-9a-f]{40}([0-9a-f]{24})?$/;
const SAFE_REF = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+$/;

/** The transport scheme of `url`, or throws for anything but https/http/ssh/file. */
export function sourceScheme(url: string): 'https' | 'http' | 'ssh' | 'file' {
  const m = /^(https|http|ssh|file):\/\//.exec(url);
  if (!m || /\s/.test(url)) {
    throw new SourceError('InvalidSource', `failed to fetch source: unsupported url (use https://, ssh:// or file://)`);
  }
  return m[1] as 'https' | 'http' | 'ssh' | 'file';
}

function refspec(ref: GitRef | undefined): { src: string; commit?: string } {
  const set = [ref?.branch, ref?.tag, ref?.commit].filter((v) => v !== undefined && v !== '');
  if (set.length > 1) throw new SourceError('InvalidSource', 'failed to fetch source: give only one of ref.branch, ref.tag, ref.commit');
  if (ref?.commit) {
    if (!SHA.test(ref.commit)) throw new SourceError('InvalidSource', 'failed to fetch source: ref.commit must be a full hex commit id');
    return { src: ref.commit, commit: ref.commit };
  }
  const name = ref?.branch ?? ref?.tag;
  if (name !== undefined && name !== '' && !SAFE_REF.test(name)) {
    throw new SourceError('InvalidSource', 'failed to fetch source: the ref name has characters git does not allow');
  }
  if (ref?.branch) return { src: `refs/heads/${ref.branch}` };
  if (ref?.tag) return { src: `refs/tags/${ref.tag}` };
  return { src: 'HEAD' };
}

/**
 * Every credential value of `auth` (and the basic-auth header form git may echo), so callers can
 * redact them from anything derived from git's output.
 */
export function credentialValues(auth: GitAuth | undefined): string[] {
  if (!auth) return [];
  switch (auth.kind) {
    case 'basic':
      return [auth.password, Buffer.from(`${auth.username}:${auth.password}`).toString('base64')];
    case 'bearer':
      return [auth.token];
    case 'ssh':
      return [auth.privateKey];
    default:
      return [];
  }
}

/** Maps git's stderr to a reason; the text is redacted and trimmed before it goes anywhere. */
export function classifyGitFailure(run: GitRun, secrets: readonly string[]): { reason: SourceFailure; detail: string } {
  const text = run.stderr;
  const lines = text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('hint:'));
  const detail = redact(lines.slice(-3).join('; '), secrets).slice(0, 400);
  if (run.timedOut) return { reason: 'Timeout', detail: 'the fetch exceeded its time limit' };
  if (/couldn't find remote ref|not our ref|no such remote ref|unadvertised object|remote ref does not exist|upload-pack: not our ref/i.test(text)) {
    return { reason: 'RefNotFound', detail };
  }
  if (/Authentication failed|Permission denied|HTTP Basic: Access denied|returned error: 40[13]|could not read Username|Host key verification failed|terminal prompts disabled|403|401/i.test(text)) {
    return { reason: 'AuthenticationFailed', detail };
  }
  if (/Could not resolve host|Connection refused|Failed to connect|Connection timed out|Could not read from remote|does not appear to be a git repository|Connection reset|unable to access|No route to host/i.test(text)) {
    return { reason: 'Unreachable', detail };
  }
  return { reason: 'GitFailed', detail };
}

/** Writes SSH material into a private folder, preferring memory-backed /dev/shm. */
async function sshFiles(auth: { privateKey: string; knownHosts: string }): Promise<{ dir: string; command: string }> {
  const dir = await privateTempDir('sealops-ssh-');
  const key = join(dir, 'id');
  const hosts = join(dir, 'known_hosts');
  const keyText = auth.privateKey.endsWith('\n') ? auth.privateKey : `${auth.privateKey}\n`;
  await writeFile(key, keyText, { mode: 0o600 });
  await writeFile(hosts, auth.knownHosts, { mode: 0o600 });
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const command = [
    'ssh',
    '-F', '/dev/null',
    '-i', q(key),
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${q(hosts)}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'ConnectTimeout=15',
    '-o', 'PasswordAuthentication=no',
    '-o', 'KbdInteractiveAuthentication=no',
  ].join(' ');
  return { dir, command };
}

// Locks a git fetch takes in a bare repository (`<ref>.lock` files under refs/ too).
const LOCK_FILES = ['shallow.lock', 'packed-refs.lock', 'config.lock', 'HEAD.lock', 'FETCH_HEAD.lock'];

/**
 * Removes the lock files a killed git left in the private repository: a fetch past the reconcile
 * deadline is SIGKILLed (and so is every git of an agent killed mid-fetch), and its
 * `shallow.lock` would make every later fetch fail. Only one reconcile of one Sync uses this
 * repository at a time, so a lock found before a fetch is always stale.
 */
async function removeStaleLocks(workDir: string): Promise<void> {
  await Promise.all(LOCK_FILES.map((f) => rm(join(workDir, f), { force: true })));
  const refs = join(workDir, 'refs');
  if (!existsSync(refs)) return;
  const entries = await readdir(refs, { recursive: true, withFileTypes: true });
  await Promise.all(entries.filter((e) => e.isFile() && e.name.endsWith('.lock')).map((e) => rm(join(e.parentPath, e.name), { force: true })));
}

/**
 * Fetches `options.ref` of `options.url` (depth 1) and returns its commit and the files under
 * `options.subdir`. Throws {@link SourceError} with a reason; never logs or returns credentials.
 */
export async function fetchSnapshot(options: FetchOptions): Promise<Snapshot> {
  const scheme = sourceScheme(options.url);
  const spec = refspec(options.ref);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const remaining = (): number => Math.max(1000, deadline - Date.now());
  const auth = options.auth ?? { kind: 'none' };
  const secrets = credentialValues(auth);
  const cfg = hardeningConfig([scheme]);

  await mkdir(options.workDir, { recursive: true, mode: 0o700 });
  await removeStaleLocks(options.workDir);
  if (!existsSync(join(options.workDir, 'HEAD'))) {
    const init = await runGit([...cfg, 'init', '--bare', '-q', '.'], { cwd: options.workDir, timeoutMs: remaining() });
    if (init.code !== 0) throw new SourceError('GitFailed', `failed to fetch source: git init failed: ${redact(init.stderr.trim(), secrets)}`);
  }

  const env: Record<string, string> = {};
  let sshDir: string | undefined;
  let n = 0;
  const addConfig = (key: string, value: string): void => {
    // Credentials travel in GIT_CONFIG_* environment variables: unlike `-c` arguments they
    // are not visible in the process list.
    env[`GIT_CONFIG_KEY_${n}`] = key;
    env[`GIT_CONFIG_VALUE_${n}`] = value;
    n += 1;
    env.GIT_CONFIG_COUNT = String(n);
  };
  addConfig('http.lowSpeedLimit', '1');
  addConfig('http.lowSpeedTime', '30');
  if (auth.kind === 'basic') {
    addConfig('http.extraHeader', `Authorization: Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}`);
  } else if (auth.kind === 'bearer') {
    addConfig('http.extraHeader', `Authorization: Bearer ${auth.token}`);
  }
  try {
    if (auth.kind === 'ssh') {
      if (scheme !== 'ssh') throw new SourceError('InvalidSource', 'failed to fetch source: an SSH key needs an ssh:// url');
      const files = await sshFiles(auth);
      sshDir = files.dir;
      env.GIT_SSH_COMMAND = files.command;
    }
    const target = 'refs/sealops/target';
    // The per-file cap rides along as a partial-clone filter: a server that allows filters
    // never sends a blob over it. One that ignores the filter sends everything, and the size
    // check after the fetch refuses instead.
    const maxFile = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const fetchArgs = [...cfg, 'fetch', '--quiet', '--depth', '1', blobFilterArg(maxFile), '--no-tags', '--no-write-fetch-head', '--no-recurse-submodules', '--force', '--', options.url];
    const run = await runGit([...fetchArgs, spec.commit ? spec.commit : `+${spec.src}:${target}`], { cwd: options.workDir, env, timeoutMs: remaining() });
    // Before any other git command runs, so none of them can fetch a left-out blob on demand.
    await guarded(() => forgetPromisor(options.workDir, options.url, remaining()), secrets);
    if (run.code !== 0) {
      const { reason, detail } = classifyGitFailure(run, secrets);
      const what = reason === 'RefNotFound' ? `ref ${spec.src} not found` : detail;
      throw new SourceError(reason, `failed to fetch source: ${what}`);
    }
    const rev = spec.commit ?? `${target}^{commit}`;
    const parsed = await runGit([...cfg, 'rev-parse', '--verify', '--quiet', '--end-of-options', rev], { cwd: options.workDir, timeoutMs: remaining() });
    const commit = parsed.stdout.toString('utf8').trim();
    if (parsed.code !== 0 || !SHA.test(commit)) {
      throw new SourceError('RefNotFound', `failed to fetch source: ref ${spec.src} does not name a commit`);
    }
    if (spec.commit && commit !== spec.commit) throw new SourceError('RefNotFound', `failed to fetch source: commit ${spec.commit} not found`);
    if (options.verify) {
      // Before the tree is read: an unverified commit contributes nothing, not even a file list.
      try {
        await verifyCommitSignature(options.workDir, commit, options.verify, remaining());
      } catch (err) {
        if (err instanceof CommitSignatureError) throw new SourceError('SignatureVerificationFailed', err.message, { cause: err, commit });
        throw err;
      }
    }
    try {
      const missing = await guarded(() => missingObjects(options.workDir, commit, remaining()), secrets);
      return { commit, files: await readTree(options.workDir, commit, options, missing, remaining) };
    } catch (err) {
      // A refused tree still names the commit it refused, for lastAttemptedRevision.
      if (err instanceof SourceError && !err.commit) throw new SourceError(err.reason, err.message, { cause: err.cause, commit });
      throw err;
    }
  } finally {
    if (sshDir) await rm(sshDir, { recursive: true, force: true });
  }
}

interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  size: number;
  path: string;
}

async function lsTree(cwd: string, commit: string, paths: string[], timeoutMs: number): Promise<TreeEntry[]> {
  const run = await runGit(['-c', 'core.hooksPath=/dev/null', 'ls-tree', '-r', '-z', '-l', '--full-tree', commit, '--', ...paths], {
    cwd,
    timeoutMs,
    maxStdoutBytes: 64 * 1024 * 1024,
  });
  if (run.code !== 0) throw new SourceError('GitFailed', `failed to read source tree: ${run.stderr.trim().slice(0, 300)}`);
  const entries: TreeEntry[] = [];
  for (const record of run.stdout.toString('utf8').split('\0')) {
    if (!record) continue;
    const tab = record.indexOf('\t');
    const [mode, type, oid, size] = record.slice(0, tab).split(/ +/);
    entries.push({ mode: mode ?? '', type: type ?? '', oid: oid ?? '', size: Number(size), path: record.slice(tab + 1) });
  }
  return entries;
}

/** Reads blobs through one `git cat-file --batch`, in the order given. */
async function readBlobs(cwd: string, oids: string[], timeoutMs: number, maxTotal: number): Promise<Buffer[]> {
  if (oids.length === 0) return [];
  const run = await runGit(['cat-file', '--batch'], { cwd, timeoutMs, input: oids.join('\n') + '\n', maxStdoutBytes: maxTotal + oids.length * 128 });
  if (run.code !== 0) throw new SourceError('GitFailed', `failed to read source files: ${run.stderr.trim().slice(0, 300)}`);
  const out: Buffer[] = [];
  let pos = 0;
  const buf = run.stdout;
  for (let i = 0; i < oids.length; i++) {
    const nl = buf.indexOf(0x0a, pos);
    const header = buf.subarray(pos, nl).toString('utf8').split(' ');
    const size = Number(header[2]);
    if (header[1] !== 'blob' || !Number.isFinite(size)) throw new SourceError('GitFailed', 'failed to read source files: unexpected object');
    out.push(Buffer.from(buf.subarray(nl + 1, nl + 1 + size)));
    pos = nl + 1 + size + 1;
  }
  return out;
}

/** Runs a bookkeeping git step of the fetch; its failure becomes a redacted GitFailed. */
async function guarded<T>(step: () => Promise<T>, secrets: readonly string[]): Promise<T> {
  try {
    return await step();
  } catch (err) {
    throw new SourceError('GitFailed', `failed to read source: ${redact(err instanceof Error ? err.message : String(err), secrets)}`, { cause: err });
  }
}

/**
 * Refuses the first file (in path order) whose blob the server left out of the filtered fetch:
 * only blobs over the per-file cap are left out, and reading one would download it.
 */
function refuseMissing(files: readonly { path: string; oid: string }[], missing: ReadonlySet<string>, maxFile: number): void {
  if (missing.size === 0) return;
  const over = files.filter((f) => missing.has(f.oid)).map((f) => f.path).sort();
  if (over.length > 0) {
    throw new SourceError('FileTooLarge', `failed to read source: ${over[0]} is over the ${maxFile}-byte per-file limit (the server left it out of the fetch)`);
  }
}

async function readTree(cwd: string, commit: string, options: FetchOptions, missing: ReadonlySet<string>, remaining: () => number): Promise<SnapshotFile[]> {
  const maxFile = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxTotal = options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES;
  const sub = posix.normalize(options.subdir ?? '.').replace(/^\.\/?/, '').replace(/\/$/, '');
  if (sub.startsWith('..') || posix.isAbsolute(sub)) throw new SourceError('InvalidSource', 'failed to read source: path must stay inside the repository');
  const entries = await lsTree(cwd, commit, sub ? [sub] : [], remaining());
  refuseMissing(entries, missing, maxFile);
  const wanted: { path: string; entry: TreeEntry }[] = [];
  const links = entries.filter((e) => e.mode === '120000');
  const linkTargets = links.length ? await readBlobs(cwd, links.map((l) => l.oid), remaining(), maxTotal) : [];
  for (const e of entries) {
    if (e.type !== 'blob' || e.mode === '120000') continue; // submodules (commit entries) are ignored
    wanted.push({ path: e.path, entry: e });
  }
  for (let i = 0; i < links.length; i++) {
    const link = links[i]!;
    let target = linkTargets[i]!.toString('utf8');
    let from = link.path;
    let resolved: TreeEntry | undefined;
    for (let hop = 0; hop < 8; hop++) {
      const joined = posix.normalize(posix.join(posix.dirname(from), target));
      if (posix.isAbsolute(target) || joined === '..' || joined.startsWith('../')) {
        throw new SourceError('SymlinkEscape', `failed to read source: symlink ${link.path} points outside the repository`);
      }
      const found = (await lsTree(cwd, commit, [joined], remaining())).find((e) => e.path === joined);
      if (!found) break; // dangling link or a link to a folder: nothing to read
      if (found.mode !== '120000') {
        resolved = found;
        break;
      }
      from = joined;
      target = (await readBlobs(cwd, [found.oid], remaining(), maxTotal))[0]!.toString('utf8');
    }
    if (resolved && resolved.type === 'blob') wanted.push({ path: link.path, entry: resolved });
  }
  // Sizes come from the object database (ls-tree -l): nothing is read before every cap holds.
  refuseMissing(wanted.map((w) => ({ path: w.path, oid: w.entry.oid })), missing, maxFile);
  checkSizes(wanted.map((w) => ({ path: w.path, size: w.entry.size })), maxFile, maxTotal);
  wanted.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const contents = await readBlobs(cwd, wanted.map((w) => w.entry.oid), remaining(), maxTotal);
  return wanted.map((w, i) => ({ path: w.path, content: contents[i]! }));
}

/**
 * Refuses a tree whose files break the caps, naming the file: the first one over the per-file
 * cap, or the one at which the running total crosses the total cap (in path order).
 */
function checkSizes(files: readonly { path: string; size: number }[], maxFile: number, maxTotal: number): void {
  let total = 0;
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    if (f.size > maxFile) throw new SourceError('FileTooLarge', `failed to read source: ${f.path} is ${f.size} bytes, over the ${maxFile}-byte per-file limit`);
    total += f.size;
    if (total > maxTotal) {
      throw new SourceError('FileTooLarge', `failed to read source: files under the path exceed the ${maxTotal}-byte total limit (reached at ${f.path}, ${total} bytes so far)`);
    }
  }
}
