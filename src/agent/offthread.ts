/**
 * Build and decrypt in a worker thread, so a repository cannot starve the agent. Parsing YAML
 * is synchronous CPU work with a large memory amplification (a 6 MiB flow-style file took 12 s
 * and 1.7 GB with the yaml library), and so is opening thousands of sealed values: on the main
 * thread `/healthz`, metrics, the watch and Lease renewal would wait, and the pod would be
 * killed for memory. In the worker:
 * - the heap is capped (`resourceLimits`): a file that needs more fails its Sync with
 *   BuildFailed naming the file (the worker announces each file before parsing it), and the
 *   agent lives on;
 * - the reconcile deadline (or the end of the leadership term, or shutdown) terminates it.
 *
 * What stays on the main thread: kustomize (a child process: the worker asks this thread to run
 * it, so the deadline can kill it, which a terminated worker could not), and key loading (it
 * reads the cluster: the worker asks for the keys only when it found something sealed, exactly
 * when {@link decryptManifests} would call `options.keys`).
 *
 * One worker at a time ({@link RENDER_WORKERS}): the memory cap holds for the process, not per
 * caller. Plain data crosses: the repository's bytes (one transferred buffer), the build
 * settings, the keys (age identities as strings, RSA keys as KeyObjects, which Node clones) and
 * the decrypt memo. Back come the build (kept by the caller's build memo) and the unsealed
 * objects in one message, so objects that decryption left alone travel once. Any other decrypt
 * option is passed on: data as is, a function as a one-way call back to this thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ResourceLimits } from 'node:worker_threads';
import { DecryptError, describe, InputError, rebuildError as rebuildFrom, SealopsError, type ErrorCode } from '../errors.js';
import { isSealedSecret } from '../formats/sealedsecret/index.js';
import type { BuildInput, BuildResult, Manifest } from '../build/index.js';
import { runKustomize, type KustomizeRun } from '../build/kustomize.js';
import { renderPath, type RenderInput, type RenderResult } from '../build/render.js';
import { decryptManifests, type DecryptionKeys, type DecryptOptions, type DecryptResult } from './decrypt/index.js';

/** Marks the workers this module starts (any other worker importing the library is not one). */
export const RENDER_WORKER_MARK = 'sealops-render-worker';

/**
 * Default heap cap of the worker, in MiB: room for a legitimate 1 MiB Secret of 7,000 keys or
 * a 4 MiB multi-document file, and within the 384 MiB the deployment gives the pod, beside the
 * main thread.
 */
export const DEFAULT_WORKER_MEMORY_MB = 160;

/** Workers running at once: one, so {@link DEFAULT_WORKER_MEMORY_MB} bounds the process. */
export const RENDER_WORKERS = 1;

/** How a render runs off the main thread. */
export interface OffThreadOptions {
  /** Terminates the worker (reconcile deadline, end of the leadership term, shutdown). */
  readonly signal: AbortSignal;
  /** Heap cap of the worker in MiB (default {@link DEFAULT_WORKER_MEMORY_MB}). */
  readonly memoryMb?: number;
}

/** The build settings of {@link RenderInput}, without the files. */
export type RenderSettings = Omit<RenderInput, 'files'>;

/** What the worker receives. */
export interface RenderWorkerInput {
  readonly mark: string;
  /** Every file's bytes, back to back (transferred, not copied). */
  readonly bytes: Uint8Array;
  readonly files: { path: string; start: number; end: number }[];
  /** Build with these settings; absent when `manifests` holds the build already (the build memo). */
  readonly build?: RenderSettings;
  readonly manifests?: Manifest[];
  readonly redact: boolean;
  /** The other decrypt options: plain data. */
  readonly data: Record<string, unknown>;
  /** Names of the other decrypt options that are functions, called back on this thread. */
  readonly callbacks: string[];
}

/** The build part of a result, what the build memo keeps (no plaintext). */
export type BuiltPart = Pick<RenderResult, 'manifests' | 'skipped' | 'kustomization' | 'kustomizeMs'>;

/** A failure as it crosses threads: the code picks the class again. */
export interface WorkerFailure {
  readonly code?: ErrorCode;
  readonly message: string;
}

/** Messages from the worker; `id` pairs a request with its reply. */
export type FromWorker =
  | { type: 'reading'; file: string }
  | { type: 'opening'; where: string }
  | { type: 'kustomize'; id: number; root: string; rootFile: string; overrides: [string, string][] }
  | { type: 'keys'; id: number }
  | { type: 'call'; name: string; args: unknown[] }
  | { type: 'done'; built?: BuiltPart; manifests: Manifest[]; secrets: string[]; unsealed: number; memo?: Map<string, unknown> }
  | { type: 'error'; failure: WorkerFailure; memo?: Map<string, unknown> };

/** Replies to the worker. */
export type ToWorker =
  | { type: 'kustomized'; id: number; run?: KustomizeRun; failure?: WorkerFailure }
  | { type: 'keys'; id: number; keys: DecryptionKeys; memo?: Map<string, unknown> };

/** Build and decrypt results of one render. */
export interface OffThreadResult extends DecryptResult {
  readonly built: BuiltPart;
}

/** The error the worker reported, as the class the inline stage would have thrown. */
export function rebuildError(failure: WorkerFailure): Error {
  return rebuildFrom(failure.code, failure.message);
}

/** An error as it crosses to the other thread. */
export function failureOf(err: unknown): WorkerFailure {
  return { ...(err instanceof SealopsError ? { code: err.code } : {}), message: describe(err) };
}

function workerUrl(): URL | undefined {
  // render-worker.js sits beside this module in the build (dist/src/agent/) and beside the
  // bundle (dist/cli/, an entry of its own in tools/bundle.mjs). Run from TypeScript sources
  // (vitest) there is none, and the stages run inline.
  const url = new URL('./render-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** The files as one buffer to transfer: a Buffer's own backing store may be a shared pool. */
function packFiles(files: readonly BuildInput[]): { bytes: Uint8Array; buffer: ArrayBuffer; files: RenderWorkerInput['files'] } {
  const buffer = new ArrayBuffer(files.reduce((n, f) => n + f.content.length, 0));
  const bytes = new Uint8Array(buffer);
  let at = 0;
  const index = files.map((f) => {
    bytes.set(f.content, at);
    at += f.content.length;
    return { path: f.path, start: at - f.content.length, end: at };
  });
  return { bytes, buffer, files: index };
}

// The pool: renders wait here for a free worker slot.
let running = 0;
const waiting: (() => void)[] = [];

async function acquire(signal: AbortSignal): Promise<() => void> {
  while (running >= RENDER_WORKERS) {
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = waiting.indexOf(wake);
        if (i >= 0) waiting.splice(i, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error(describe(signal.reason)));
      };
      const wake = (): void => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      waiting.push(wake);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
  running++;
  return () => {
    running--;
    waiting.shift()?.();
  };
}

/** Whether decrypting `manifests` has anything heavy to do (anything sealed in them or the sources). */
function hasSealed(build: Pick<BuildResult, 'manifests' | 'sources'>): boolean {
  return build.manifests.some((m) => 'sops' in m.object || isSealedSecret(m.object)) || build.sources.some((s) => s.content.indexOf('ENC[AES256_GCM,') >= 0);
}

/**
 * Builds `input` (unless `reuse` holds its build already) and decrypts the result, in a worker
 * thread with a capped heap, terminated when `options.signal` fires. Throws as the inline stages
 * would: InputError naming the file for the build (also when a file needs more memory than the
 * cap), the decrypt stage's errors, a keys failure as `decrypt.keys` threw it.
 */
export async function renderOffThread(input: RenderInput, decrypt: DecryptOptions, options: OffThreadOptions, reuse?: RenderResult): Promise<OffThreadResult> {
  const { signal } = options;
  signal.throwIfAborted();
  const url = workerUrl();
  // Without the worker entry (run from TypeScript sources) the stages run inline; a reused
  // build with nothing sealed in it has nothing heavy left to do.
  if (!url || (reuse && !hasSealed(reuse))) {
    const built = reuse ?? (await renderPath(input, { signal }));
    return { ...(await decryptManifests(built, decrypt)), built };
  }
  const release = await acquire(signal);
  try {
    return await runWorker(url, input, decrypt, options, reuse);
  } finally {
    release();
  }
}

function runWorker(url: URL, input: RenderInput, decrypt: DecryptOptions, options: OffThreadOptions, reuse: RenderResult | undefined): Promise<OffThreadResult> {
  const { signal } = options;
  const memoryMb = options.memoryMb ?? DEFAULT_WORKER_MEMORY_MB;
  const { keys, memo, ...rest } = decrypt;
  const data: Record<string, unknown> = {};
  const callbacks: Record<string, (...args: unknown[]) => unknown> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (typeof value === 'function') callbacks[name] = value as (...args: unknown[]) => unknown;
    else data[name] = value;
  }
  const { files: _files, ...settings } = input;
  const packed = packFiles(input.files);
  const workerInput: RenderWorkerInput = {
    mark: RENDER_WORKER_MARK,
    bytes: packed.bytes,
    files: packed.files,
    ...(reuse ? { manifests: reuse.manifests } : { build: settings }),
    redact: keys === 'redact',
    data,
    callbacks: Object.keys(callbacks),
  };
  const resourceLimits: ResourceLimits = { maxOldGenerationSizeMb: memoryMb, maxYoungGenerationSizeMb: Math.max(4, Math.min(32, memoryMb >> 3)) };
  return import('node:worker_threads').then(
    ({ Worker }) =>
      new Promise<OffThreadResult>((resolve, reject) => {
        const worker = new Worker(url, { workerData: workerInput, transferList: [packed.buffer], resourceLimits });
        let settled = false;
        let held: { previous: Map<string, unknown> } | undefined;
        // The file being parsed, until the worker asks for keys: then the build is over.
        let reading: string | undefined;
        // The object being decrypted (file, kind and name), once decryption started.
        let opening: string | undefined;
        const settle = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          signal.removeEventListener('abort', onAbort);
          void worker.terminate();
          fn();
        };
        const fail = (err: unknown): void => settle(() => reject(err instanceof Error ? err : new Error(describe(err))));
        const keepMemo = (fresh: Map<string, unknown> | undefined): void => {
          if (held && fresh) held.previous = fresh;
        };
        const post = (msg: ToWorker): void => {
          if (!settled) worker.postMessage(msg);
        };
        const onAbort = (): void => fail(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        worker.on('message', (msg: FromWorker) => {
          switch (msg.type) {
            case 'reading':
              reading = msg.file;
              return;
            case 'opening':
              opening = msg.where;
              return;
            case 'kustomize': {
              const files = new Map(input.files.map((f) => [f.path, f.content]));
              for (const [path, text] of msg.overrides) if (!files.has(path)) files.set(path, Buffer.from(text));
              runKustomize(files, msg.root, msg.rootFile, input.kustomize, new Map(msg.overrides), signal).then(
                (run) => post({ type: 'kustomized', id: msg.id, run }),
                (err: unknown) => post({ type: 'kustomized', id: msg.id, failure: failureOf(err) }),
              );
              return;
            }
            case 'keys':
              reading = undefined;
              if (typeof keys !== 'function') return fail(new DecryptError('failed to decrypt: the worker asked for keys in redact mode'));
              keys().then((k) => {
                if (settled) return;
                held = memo?.();
                post({ type: 'keys', id: msg.id, keys: k, ...(held ? { memo: held.previous } : {}) });
              }, fail); // a keys failure is the main thread's own error: passed on as thrown
              return;
            case 'call':
              callbacks[msg.name]?.(...msg.args);
              return;
            case 'done': {
              keepMemo(msg.memo);
              const built: BuiltPart = msg.built ?? reuse!;
              return settle(() => resolve({ manifests: msg.manifests, secrets: msg.secrets, unsealed: msg.unsealed, built }));
            }
            case 'error':
              keepMemo(msg.memo);
              return fail(rebuildError(msg.failure));
          }
        });
        worker.once('error', (err: Error & { code?: string }) => {
          if (err.code !== 'ERR_WORKER_OUT_OF_MEMORY') return fail(new SealopsError('INTERNAL', `failed to render: the render worker failed: ${describe(err)}`));
          const cap = `more memory than the ${memoryMb} MiB the build may use`;
          if (reading !== undefined) return fail(new InputError(`failed to build ${reading}: reading it needs ${cap}`));
          fail(new DecryptError(`failed to decrypt${opening === undefined ? '' : ` ${opening}`}: opening the sealed values needs ${cap}`));
        });
        // Settled already unless the worker died without a reply.
        worker.once('exit', (code) => fail(new SealopsError('INTERNAL', `failed to render: the render worker exited with code ${code}`)));
      }),
  );
}
