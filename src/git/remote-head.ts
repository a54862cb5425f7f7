/**
 * The commit a remote ref points at, by `git ls-remote`, for `sealops status` (is the cluster
 * behind its branch?). It runs on the user's machine with the user's git credentials (their
 * HOME, git config, credential helpers and SSH agent), never prompts, and allows only the
 * ordinary transports, so a Sync's URL cannot make git run a remote helper such as `ext::`.
 */
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, GitError } from '../errors.js';
import { runGit } from './source-exec.js';
import type { GitRef } from './source.js';

/** Options of {@link remoteHead}. */
export interface RemoteHeadOptions {
  /** Environment to take HOME, SSH_AUTH_SOCK and GIT_SSH_COMMAND from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
  /** Give up after this many milliseconds (default 15 s). */
  readonly timeoutMs?: number;
}

const TRANSPORTS = ['https', 'http', 'ssh', 'git', 'file'];

/**
 * The full commit id `ref` points at in the repository at `url`. A pinned commit is its own
 * head (no network). Throws GitError when the remote cannot be read or has no such ref.
 */
export async function remoteHead(url: string, ref: GitRef, options: RemoteHeadOptions = {}): Promise<string> {
  if (ref.commit) return ref.commit;
  // Credentials in a URL never reach a message.
  const shown = (text: string): string => text.replace(/\/\/[^/@\s]*@/g, '//***@');
  const env = options.env ?? process.env;
  const wanted = ref.branch ? [`refs/heads/${ref.branch}`] : ref.tag ? [`refs/tags/${ref.tag}^{}`, `refs/tags/${ref.tag}`] : ['HEAD'];
  const home = env.HOME;
  const extra: Record<string, string> = {
    GIT_SSH_COMMAND: env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
    ...(home ? { HOME: home, GIT_CONFIG_GLOBAL: existsSync(join(home, '.gitconfig')) ? join(home, '.gitconfig') : '/dev/null' } : {}),
    ...(env.SSH_AUTH_SOCK ? { SSH_AUTH_SOCK: env.SSH_AUTH_SOCK } : {}),
  };
  const protocols = ['protocol.allow=never', ...TRANSPORTS.map((t) => `protocol.${t}.allow=always`)].flatMap((c) => ['-c', c]);
  let run;
  try {
    // `--` ends the options: a URL starting with `-` is a URL, not a flag.
    run = await runGit([...protocols, 'ls-remote', '--', url, ...wanted], {
      cwd: tmpdir(),
      env: extra,
      timeoutMs: options.timeoutMs ?? 15_000,
      maxStdoutBytes: 1024 * 1024,
    });
  } catch (err) {
    throw new GitError(`failed to read the head of ${shown(url)}: ${shown(describe(err))}`, { cause: err });
  }
  if (run.timedOut) throw new GitError(`failed to read the head of ${shown(url)}: timed out`);
  if (run.code !== 0) throw new GitError(`failed to read the head of ${shown(url)}: ${shown(run.stderr.trim().split('\n').pop() || `git exited ${String(run.code)}`)}`);
  const refs = new Map<string, string>();
  for (const line of run.stdout.toString('utf8').split('\n')) {
    const [sha, name] = line.split('\t');
    if (sha && name && /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)) refs.set(name, sha);
  }
  for (const w of wanted) {
    const sha = refs.get(w);
    if (sha) return sha;
  }
  throw new GitError(`failed to read the head of ${shown(url)}: no ref ${wanted[wanted.length - 1]}`);
}
