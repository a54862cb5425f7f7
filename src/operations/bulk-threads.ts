/**
 * The files of a bulk run spread over every core: the main thread and `cores - 1` bulk workers
 * (bulk-worker.ts, started by bulk-start.ts, possibly before the run is known) claim files one
 * at a time from one shared counter, so a thread the machine slows down simply claims fewer.
 * Each thread reads, sorts and writes the files it claims, synchronously but for the crypto's
 * awaits (a trip through the thread pool cost more than the calls). Every file is written by the
 * thread that claimed it, atomically and durably, so what a crash or a signal leaves is the same
 * as on one thread: each file old or new.
 *
 * Small runs, one core, or running from TypeScript sources (no built worker beside this module)
 * stay on the calling thread.
 */
import { describe, IoError, rebuildError, type ErrorCode } from '../errors.js';
import { SpareInodes, type KeyRing } from '../formats/index.js';
import { createConfigCache } from '../keys/config.js';
import { mapLimit } from '../util/pool.js';
import { rewrapFile, type FileOutcome, type FileRun } from './bulk-file.js';
import { helpersFor, type BulkHelpers } from './bulk-start.js';

export { BULK_WORKER_MARK, helpersFor, startHelpers, stopHelpers, threadsFor, type BulkHelpers } from './bulk-start.js';

/** Files under way at once on each thread. */
const PER_THREAD = 8;

/** Slots of the shared counter: the next file to claim, and whether to stop claiming (a signal). */
const NEXT = 0;
const STOP = 1;

/** The run a bulk worker is given, in one message, once its files are known. */
export interface ToBulkWorker {
  readonly type: 'run';
  readonly mode: FileRun['mode'];
  readonly cwd: string;
  readonly keys: KeyRing;
  readonly recipients?: readonly string[];
  readonly clusters?: readonly string[];
  readonly files: readonly string[];
  /** Int32 slots {@link NEXT} and {@link STOP}, shared by every thread of the run. */
  readonly shared: SharedArrayBuffer;
}

/** Messages from a bulk worker: one per file it finished, then `done` (or `fatal`: a bug). */
export type FromBulkWorker =
  | { type: 'file'; index: number; outcome?: Exclude<FileOutcome, { failed: unknown }>; failed?: { code: ErrorCode; message: string } }
  | { type: 'done' }
  | { type: 'fatal'; message: string };

/** Options of {@link rewrapFiles}. */
export interface RewrapFilesOptions extends Omit<FileRun, 'cache'> {
  readonly cache?: FileRun['cache'];
  readonly signal?: AbortSignal;
  readonly progress?: (done: number, total: number) => void;
  /** Workers started ahead of the run ({@link startHelpers}); topped up or stopped to fit the run ({@link helpersFor}). */
  readonly helpers?: BulkHelpers;
}

/**
 * Claims files from `shared` until none is left or the run is stopped, {@link PER_THREAD} at a
 * time, and hands each outcome to `done`. The one loop of the main thread and of each worker.
 */
export async function drainFiles(run: FileRun, files: readonly string[], shared: Int32Array, done: (index: number, outcome: FileOutcome) => void): Promise<void> {
  // Every file of a run is sealed before and after, so its old inode may carry the next one.
  const spares = new SpareInodes();
  try {
    await mapLimit(Array.from({ length: PER_THREAD }), PER_THREAD, async () => {
      while (Atomics.load(shared, STOP) === 0) {
        const i = Atomics.add(shared, NEXT, 1);
        if (i >= files.length) return;
        done(i, await rewrapFile(run, files[i] as string, spares));
      }
    });
  } finally {
    spares.dispose();
  }
}

/** Settles when `worker` has posted every outcome; a broken worker stops the run on every thread. */
function follow(worker: import('node:worker_threads').Worker, record: (i: number, outcome: FileOutcome) => void, shared: Int32Array): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    worker.on('message', (msg: FromBulkWorker) => {
      if (msg.type === 'file') record(msg.index, msg.failed ? { failed: rebuildError(msg.failed.code, msg.failed.message) } : (msg.outcome ?? { unchanged: true }));
      else if (msg.type === 'done') resolve();
      else reject(new IoError(`failed to rewrap files: a bulk worker failed: ${msg.message}`));
    });
    worker.once('error', (err) => reject(new IoError(`failed to rewrap files: a bulk worker failed: ${describe(err)}`)));
    // Settled already unless the worker died without a reply (out of memory, for one).
    worker.once('exit', (code) => reject(new IoError(`failed to rewrap files: a bulk worker exited with code ${code}`)));
  }).catch((err: unknown) => {
    // What is under way elsewhere finishes; no further file is started.
    Atomics.store(shared, STOP, 1);
    throw err;
  });
}

/**
 * Rekeys or rotates `files`; outcomes in input order, `undefined` for a file not reached
 * because `signal` fired (files under way then finish, on every thread).
 */
export async function rewrapFiles(files: readonly string[], opts: RewrapFilesOptions): Promise<(FileOutcome | undefined)[]> {
  const run: FileRun = { mode: opts.mode, request: opts.request, cwd: opts.cwd, cache: opts.cache ?? createConfigCache() };
  const helpers = await helpersFor(files.length, opts.helpers);
  const outcomes = new Array<FileOutcome | undefined>(files.length);
  const shared = new Int32Array(new SharedArrayBuffer(8));
  let finished = 0;
  const record = (i: number, outcome: FileOutcome): void => {
    outcomes[i] = outcome;
    opts.progress?.(++finished, files.length);
  };
  const onAbort = (): void => void Atomics.store(shared, STOP, 1);
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { request } = run;
    const message: ToBulkWorker = { type: 'run', mode: run.mode, cwd: run.cwd, keys: request.keys, ...(request.recipients ? { recipients: request.recipients } : {}), ...(request.clusters ? { clusters: request.clusters } : {}), files, shared: shared.buffer };
    const workers = (helpers?.workers ?? []).map((worker) => {
      // Adopted: the run now waits for it.
      worker.ref();
      const followed = follow(worker, record, shared);
      worker.postMessage(message);
      return followed;
    });
    const mine = drainFiles(run, files, shared, record).catch((err: unknown) => {
      Atomics.store(shared, STOP, 1);
      throw err;
    });
    const settled = await Promise.allSettled([mine, ...workers]);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) throw failure.reason instanceof Error ? failure.reason : new Error(describe(failure.reason));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return outcomes;
}
