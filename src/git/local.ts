/**
 * Running git on the user's own repository for the guard: the repository is trusted, and the
 * environment git gave us (a hook's `GIT_INDEX_FILE`, `GIT_DIR`, `GIT_WORK_TREE`, object
 * directories) is passed through untouched, because that is what tells us which index
 * `git commit -a` or `git commit <path>` is about to commit. (simple-git strips these by default,
 * which is why the guard uses plain child_process.)
 */
import { execFile } from 'node:child_process';
import { EnvironmentError, GitError, describe } from '../errors.js';

/** Where and with which environment to run git. */
export interface GitContext {
  /** Working directory of the git process. */
  readonly cwd: string;
  /** Environment for git; defaults to the process environment (GIT_* included). */
  readonly env?: NodeJS.ProcessEnv;
}

/** Options of one {@link execGit} call. */
export interface ExecGitOptions {
  /** Bytes written to git's stdin. */
  readonly input?: string | Buffer;
  /** Largest stdout accepted, in bytes (default 1 GiB; `Infinity` for no cap). */
  readonly maxBuffer?: number;
}

/**
 * Runs `git args…` and resolves with its stdout. Rejects with a {@link GitError} on a non-zero
 * exit; the message names the subcommand only, and git's stderr is kept as the cause, never a
 * file's content.
 */
export function execGit(ctx: GitContext, args: readonly string[], options: ExecGitOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      { cwd: ctx.cwd, env: ctx.env ?? process.env, encoding: 'buffer', maxBuffer: options.maxBuffer ?? 1 << 30 },
      (err, stdout, stderr) => {
        if (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
            reject(new EnvironmentError('failed to run git: git is not installed or not on PATH', { cause: err }));
            return;
          }
          const text = stderr.toString('utf8').trim().split('\n')[0] ?? '';
          const cause = text || describe(err);
          reject(new GitError(`failed to run git ${args[0] ?? ''}: ${cause}`, { cause: err }));
          return;
        }
        resolve(stdout);
      },
    );
    child.stdin?.on('error', () => undefined); // git exiting early is reported by its exit status
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

/** Splits NUL-terminated git output (`-z`) into its fields. */
export function splitNul(out: Buffer): string[] {
  const text = out.toString('utf8');
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/**
 * The top folder of the working tree git is using, or undefined when `ctx.cwd` is not inside a
 * git working tree (a plain folder, or a bare repository).
 */
export async function findWorkTree(ctx: GitContext): Promise<string | undefined> {
  try {
    const out = await execGit(ctx, ['rev-parse', '--show-toplevel']);
    const top = out.toString('utf8').trim();
    return top === '' ? undefined : top;
  } catch (err) {
    // "not a repository" is an answer; git missing is not.
    if (err instanceof EnvironmentError) throw err;
    return undefined;
  }
}

/** Id of the empty tree in this repository's hash (SHA-1 or SHA-256). */
export async function emptyTreeId(ctx: GitContext): Promise<string> {
  const out = await execGit(ctx, ['hash-object', '-t', 'tree', '--stdin'], { input: '' });
  return out.toString('utf8').trim();
}

/** The commit HEAD points at, or undefined before the first commit. */
export async function headCommit(ctx: GitContext): Promise<string | undefined> {
  try {
    const out = await execGit(ctx, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
    const id = out.toString('utf8').trim();
    return id === '' ? undefined : id;
  } catch {
    return undefined;
  }
}
