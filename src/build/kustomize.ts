/**
 * Runs the real kustomize v5 on a snapshot, as untrusted input.
 *
 * The snapshot's files (as committed: sealed values stay sealed, nothing is decrypted before
 * this stage) are written to a private temporary folder, kustomize builds one folder of it, and
 * the folder is removed. Containment, in layers:
 * - {@link preflightKustomization} refuses URLs, paths leaving the repository, Helm and KRM
 *   functions before anything runs, naming the file;
 * - kustomize runs with the root-only load restrictor and without `--enable-alpha-plugins`,
 *   `--enable-exec` or `--enable-helm`;
 * - its environment has no `git` (PATH is empty and the binary is named by absolute path, so
 *   the remote loader's `git clone` cannot start) and every HTTP(S) proxy variable points at a
 *   closed local port, so Go's HTTP client cannot reach a remote host (Go does not proxy
 *   loopback addresses, hence the next layer);
 * - where the kernel allows unprivileged user namespaces, kustomize runs in an empty network
 *   namespace (`unshare --user --map-root-user --net`): no interface but a down loopback;
 * - a time limit (SIGKILL), an output cap, and a data-segment cap (`ulimit -d`, which bounds
 *   Go's heap; `ulimit -v` cannot be used because Go reserves large address ranges up front)
 *   with GOMEMLIMIT below it so the collector works before the cap is hit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { BuildRefusedError } from './preflight.js';

/** Limits and the binary of one kustomize run. */
export interface KustomizeOptions {
  /** Path of the kustomize binary; default: `kustomize` on PATH, else ~/.cache/sealops/bin/kustomize. */
  readonly binary?: string;
  /** Kill kustomize after this many milliseconds (default 60 s). */
  readonly timeoutMs?: number;
  /** Largest output accepted, in bytes (default 32 MiB). */
  readonly maxOutputBytes?: number;
  /** Data-segment (heap) cap of the kustomize process, in bytes (default 512 MiB). */
  readonly maxMemoryBytes?: number;
}

/** Default limits. */
export const KUSTOMIZE_DEFAULTS = Object.freeze({ timeoutMs: 60_000, maxOutputBytes: 32 * 1024 * 1024, maxMemoryBytes: 512 * 1024 * 1024 });

/** The kustomize binary to run, or throws EnvironmentError. */
export function findKustomize(binary?: string): string {
  if (binary) {
    if (!existsSync(binary)) throw new EnvironmentError(`failed to find kustomize: ${binary} does not exist`);
    return binary;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'kustomize'))) return join(dir, 'kustomize');
  }
  const cached = join(homedir(), '.cache', 'sealops', 'bin', 'kustomize');
  if (existsSync(cached)) return cached;
  throw new EnvironmentError('failed to find kustomize: not on PATH and not in ~/.cache/sealops/bin (run npm run assets)');
}

/** Output of one run and how long kustomize took. */
export interface KustomizeRun {
  readonly output: string;
  readonly ms: number;
}

let netns: string | null | undefined;

/** `unshare` when it can give a process an empty network namespace here, else null (probed once). */
export function networkNamespaceTool(): string | null {
  if (netns !== undefined) return netns;
  netns = null;
  for (const candidate of ['/usr/bin/unshare', '/bin/unshare']) {
    if (!existsSync(candidate)) continue;
    const probe = spawnSync(candidate, ['--user', '--map-root-user', '--net', '/bin/sh', '-c', 'exit 0'], { stdio: 'ignore', timeout: 5000 });
    if (probe.status === 0) netns = candidate;
    break;
  }
  return netns;
}

// A local port nothing listens on (tcpmux): a proxied request fails at once.
const DEAD_PROXY = 'http://127.0.0.1:1';

/**
 * Writes `files` to a private folder and runs `kustomize build` on `root` (a repository-relative
 * folder). `overrides` replaces the text of some files in that folder only (spec.components).
 * Throws {@link BuildRefusedError} naming `rootFile` on a failure, a timeout or a cap; when
 * `signal` fires, kustomize is killed and the signal's reason thrown.
 */
export async function runKustomize(
  files: ReadonlyMap<string, Buffer>,
  root: string,
  rootFile: string,
  options: KustomizeOptions = {},
  overrides: ReadonlyMap<string, string> = new Map(),
  signal?: AbortSignal,
): Promise<KustomizeRun> {
  signal?.throwIfAborted();
  const binary = findKustomize(options.binary);
  const timeoutMs = options.timeoutMs ?? KUSTOMIZE_DEFAULTS.timeoutMs;
  const maxOut = options.maxOutputBytes ?? KUSTOMIZE_DEFAULTS.maxOutputBytes;
  const maxMem = options.maxMemoryBytes ?? KUSTOMIZE_DEFAULTS.maxMemoryBytes;
  const work = await mkdtemp(join(tmpdir(), 'sealops-kustomize-'));
  try {
    const repo = join(work, 'repo');
    const made = new Set<string>();
    // Synchronous on purpose: a thousand small awaited writes cost seconds of thread-pool
    // round trips on a busy machine; these take milliseconds.
    for (const [path, content] of files) {
      const target = join(repo, path);
      const dir = dirname(target);
      if (!made.has(dir)) {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        made.add(dir);
      }
      writeFileSync(target, overrides.get(path) ?? content, { mode: 0o600 });
    }
    const started = Date.now();
    const output = await spawnKustomize(binary, join(repo, root), work, { timeoutMs, maxOut, maxMem, rootFile, signal });
    return { output: output.split(`${repo}/`).join(''), ms: Date.now() - started };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

function spawnKustomize(
  binary: string,
  dir: string,
  home: string,
  o: { timeoutMs: number; maxOut: number; maxMem: number; rootFile: string; signal: AbortSignal | undefined },
): Promise<string> {
  const env: NodeJS.ProcessEnv = {
    PATH: '',
    HOME: home,
    XDG_CONFIG_HOME: home,
    KUSTOMIZE_PLUGIN_HOME: join(home, 'no-plugins'),
    HTTP_PROXY: DEAD_PROXY,
    HTTPS_PROXY: DEAD_PROXY,
    http_proxy: DEAD_PROXY,
    https_proxy: DEAD_PROXY,
    NO_PROXY: '',
    no_proxy: '',
    GOMEMLIMIT: String(Math.floor(o.maxMem * 0.7)),
    GOMAXPROCS: '2',
  };
  const args = ['-c', 'ulimit -d "$1" && shift && exec "$@"', 'sh', String(Math.ceil(o.maxMem / 1024)), binary, 'build', dir, '--load-restrictor', 'LoadRestrictionsRootOnly'];
  return new Promise((resolve, reject) => {
    const unshare = networkNamespaceTool();
    const [command, argv] = unshare ? [unshare, ['--user', '--map-root-user', '--net', '/bin/sh', ...args]] : ['/bin/sh', args];
    const child = spawn(command, argv, { cwd: home, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let failure: string | undefined;
    const kill = (why: string): void => {
      failure ??= why;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => kill(`kustomize did not finish within ${o.timeoutMs} ms`), o.timeoutMs);
    let aborted = false;
    const onAbort = (): void => {
      aborted = true;
      child.kill('SIGKILL');
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > o.maxOut) return kill(`the build output exceeds ${o.maxOut} bytes`);
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4096) stderr += chunk.toString('utf8');
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      reject(new EnvironmentError(`failed to run kustomize: ${err.message}`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      if (aborted) return reject(o.signal?.reason instanceof Error ? o.signal.reason : new Error('kustomize was stopped'));
      if (failure) return reject(new BuildRefusedError(o.rootFile, failure));
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const memory = signal === 'SIGSEGV' || /out of memory|cannot allocate memory/i.test(stderr);
      const why = memory ? 'kustomize exceeded its memory cap' : cleanError(stderr, dir) || `kustomize exited with ${code ?? signal}`;
      reject(new BuildRefusedError(o.rootFile, why));
    });
  });
}

/** kustomize's last error line, with the private folder removed from paths. */
function cleanError(stderr: string, dir: string): string {
  const root = dir.slice(0, dir.indexOf('/repo') + 5);
  const lines = stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('Usage:') && !/^\s+-/.test(l));
  const last = lines.find((l) => l.startsWith('Error:')) ?? lines[lines.length - 1] ?? '';
  return last.replace(/^Error:\s*/, 'kustomize: ').split(`${root}/`).join('').split(root).join('.').slice(0, 500);
}
