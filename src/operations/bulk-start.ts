/**
 * Starting bulk workers (bulk-worker.ts), apart from everything else of a bulk run so that the
 * CLI's entry point can start them before it loads the program: a worker takes ~50 ms to boot,
 * and started first it is ready by the time the files are found (3% of a 1,000-file run).
 * Only Node built-ins here, so the entry stays small.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/** Marks the workers this module starts (any other worker importing the library is not one). */
export const BULK_WORKER_MARK = 'sealops-bulk-worker';

/** Below this many files, starting a worker (≈ the start of a Node process) costs more than it saves. */
const PARALLEL_MIN_FILES = 64;
const MAX_THREADS = 8;

/** Workers of {@link startHelpers} that have exited (a failed start): no run may wait on them. */
const exited = new WeakSet<Worker>();

/** Bulk workers started before the run is known; each waits for the run in one message. */
export interface BulkHelpers {
  readonly workers: readonly Worker[];
}

/** Threads (the calling one included) a run of `files` files uses, when built workers are at hand. */
export function threadsFor(files: number): number {
  return files >= PARALLEL_MIN_FILES ? Math.max(1, Math.min(availableParallelism(), MAX_THREADS)) : 1;
}

function workerUrl(): URL | undefined {
  // bulk-worker.js sits beside this module in the build (dist/src/operations/) and beside the
  // bundles (dist/cli/, an entry of its own in tools/bundle.mjs).
  const url = new URL('./bulk-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * Starts up to `count` bulk workers (fewer on fewer cores; none from TypeScript sources). They do
 * not keep the process alive until a run adopts them.
 */
export function startHelpers(count: number): BulkHelpers | undefined {
  const url = workerUrl();
  const n = url ? Math.min(count, threadsFor(Number.MAX_SAFE_INTEGER) - 1) : 0;
  if (!url || n <= 0) return undefined;
  const workers = Array.from({ length: n }, () => new Worker(url, { workerData: { mark: BULK_WORKER_MARK } }));
  for (const w of workers) {
    w.unref();
    // A worker that fails before a run adopts it must not take the process down; the run leaves it out.
    w.on('error', () => undefined);
    w.once('exit', () => exited.add(w));
  }
  return { workers };
}

/**
 * The workers a run of `files` files uses ({@link threadsFor}): those started `ahead`, the extra
 * ones stopped, more started when too few; undefined when the run stays on the calling thread.
 */
export async function helpersFor(files: number, ahead?: BulkHelpers): Promise<BulkHelpers | undefined> {
  const want = workerUrl() ? threadsFor(files) - 1 : 0;
  const have = (ahead?.workers ?? []).filter((w) => !exited.has(w));
  await Promise.all(have.splice(Math.max(0, want)).map((w) => w.terminate()));
  const all = [...have, ...(startHelpers(want - have.length)?.workers ?? [])];
  return all.length > 0 ? { workers: all } : undefined;
}

/** Stops workers a run did not use. */
export async function stopHelpers(helpers: BulkHelpers | undefined): Promise<void> {
  await Promise.all((helpers?.workers ?? []).map((w) => w.terminate()));
}
