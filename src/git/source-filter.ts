/**
 * The partial-clone side of the source fetch: the per-file cap travels to the server as a
 * `blob:limit` filter, so a blob over it is never downloaded, and the blobs the server left out
 * are found without ever fetching them.
 *
 * A filtered fetch registers the URL as a "promisor" remote, and git then fetches any missing
 * object on demand from any command that reads it (git 2.39 has no GIT_NO_LAZY_FETCH). The
 * registration is removed straight after each fetch: with no promisor remote, a missing object
 * is an error (`ls-tree -l` prints BAD, `cat-file` says missing), never a download.
 */
import { runGit } from './source-exec.js';

/**
 * The fetch option that asks the server to leave out every blob over `maxFileBytes`. git's
 * `blob:limit=<n>` omits blobs of n bytes or more, and the cap allows exactly `maxFileBytes`.
 */
export function blobFilterArg(maxFileBytes: number): string {
  return `--filter=blob:limit=${Math.floor(maxFileBytes) + 1}`;
}

/**
 * Unregisters `url` as a promisor remote of the bare repository in `cwd`, so no later git
 * command can lazily fetch a blob the filter left out. Missing keys are not an error.
 */
export async function forgetPromisor(cwd: string, url: string, timeoutMs: number): Promise<void> {
  for (const key of [`remote.${url}.promisor`, `remote.${url}.partialclonefilter`, 'extensions.partialclone']) {
    const run = await runGit(['config', '--unset-all', key], { cwd, timeoutMs });
    // 5: the key was not set (the server ignored the filter, or an older fetch).
    if (run.code !== 0 && run.code !== 5) throw new Error(`git config --unset-all ${key} exited ${run.code}`);
  }
}

/**
 * The ids of the objects reachable from `commit` that are not in the repository: the blobs the
 * filter left out. `--missing=print` reports them instead of fetching them.
 */
export async function missingObjects(cwd: string, commit: string, timeoutMs: number): Promise<Set<string>> {
  const run = await runGit(['-c', 'core.hooksPath=/dev/null', 'rev-list', '--objects', '--no-object-names', '--missing=print', commit, '--'], {
    cwd,
    timeoutMs,
    maxStdoutBytes: 64 * 1024 * 1024,
  });
  if (run.code !== 0) throw new Error(`git rev-list exited ${run.code}: ${run.stderr.trim().slice(0, 300)}`);
  const missing = new Set<string>();
  for (const line of run.stdout.toString('utf8').split('\n')) if (line.startsWith('?')) missing.add(line.slice(1));
  return missing;
}
