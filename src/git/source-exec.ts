/**
 * Running git for the agent's source stage: a minimal environment, no hooks, no user or
 * system configuration, a hard time limit and a cap on captured output.
 *
 * The repository being fetched is untrusted input. Nothing it contains may run code on the
 * agent: hooks are pointed at /dev/null, no checkout happens (so no smudge/clean filters or
 * LFS), and only the transports the caller names are allowed (no `ext::`).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Result of one git invocation. */
export interface GitRun {
  readonly code: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly timedOut: boolean;
}

/** Options of {@link runGit}. */
export interface GitRunOptions {
  /** Folder to run in (the private bare repository). */
  readonly cwd: string;
  /** Extra environment (GIT_SSH_COMMAND, GIT_CONFIG_* carrying credentials). */
  readonly env?: Readonly<Record<string, string>>;
  /** Kill the process after this many milliseconds. */
  readonly timeoutMs: number;
  /** Bytes written to stdin, if any. */
  readonly input?: string | Buffer;
  /** Stop collecting stdout beyond this many bytes and fail. */
  readonly maxStdoutBytes?: number;
}

/** The `-c` settings every agent git call carries, whatever the transport. */
export function hardeningConfig(allowedSchemes: readonly string[]): string[] {
  const out = [
    'core.hooksPath=/dev/null',
    'core.fsmonitor=false',
    'core.askPass=',
    'credential.helper=',
    'protocol.allow=never',
    'transfer.fsckObjects=true',
    'fetch.recurseSubmodules=false',
    'submodule.recurse=false',
    'gc.auto=0',
    'maintenance.auto=false',
  ];
  for (const scheme of allowedSchemes) out.push(`protocol.${scheme}.allow=always`);
  return out.flatMap((c) => ['-c', c]);
}

/**
 * Environment for git: only what it needs. HOME points at the work dir so no `~/.gitconfig`
 * applies; system config is off; prompts are off so a missing credential fails instead of hanging.
 */
export function minimalEnv(home: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LANG: 'C',
    LC_ALL: 'C',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: 'false',
    SSH_ASKPASS: 'false',
    GIT_LFS_SKIP_SMUDGE: '1',
    GIT_PROTOCOL_FROM_USER: '0',
    ...extra,
  };
}

/** Runs git with `args`; resolves with its exit code and output (never rejects on exit status). */
export function runGit(args: readonly string[], options: GitRunOptions): Promise<GitRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: options.cwd,
      env: minimalEnv(options.cwd, options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // own process group, so a timeout kills ssh and remote helpers too
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let timedOut = false;
    let overflow = false;
    const kill = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, options.timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (options.maxStdoutBytes !== undefined && outBytes > options.maxStdoutBytes) {
        overflow = true;
        kill();
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      // stderr is only for error messages; keep the tail.
      err = (err + chunk.toString('utf8')).slice(-8192);
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({
        code: overflow ? -1 : code,
        stdout: Buffer.concat(out),
        stderr: overflow ? `output exceeded ${options.maxStdoutBytes} bytes` : err,
        timedOut,
      });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/**
 * A new folder only this process can read, for key material git and its helpers need as files;
 * memory-backed /dev/shm where available, so even public keys never need to reach a disk.
 */
export async function privateTempDir(prefix: string): Promise<string> {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  const dir = await mkdtemp(join(base, prefix));
  await chmod(dir, 0o700);
  return dir;
}
