/**
 * Judging many files on every core: large scans (a whole tree, a long history) are split
 * between worker threads that each run {@link scanFile}; small ones (a typical commit) stay on
 * the main thread, where starting a worker would cost more than it saves.
 */
import { availableParallelism } from 'node:os';
import { scanFile, type FileVerdict } from './file.js';

/** One file to judge. */
export interface FileJob {
  readonly path: string;
  readonly content: Buffer;
  readonly commit?: string;
}

/** Below this many bytes, or files, the work stays on the calling thread. */
const PARALLEL_MIN_BYTES = 1024 * 1024;
const PARALLEL_MIN_FILES = 400;

/**
 * Marks the workers this module starts. Any other worker thread that imports the library (a
 * user's, or a test runner's) must not mistake itself for a scan worker.
 */
export const WORKER_MARK = 'sealops.scan.parallel/v1';

/** What a scan worker receives. */
export interface WorkerInput {
  readonly mark: typeof WORKER_MARK;
  readonly jobs: { path: string; content: Uint8Array; commit?: string }[];
}

/** Judges every job on this thread, in order. */
export function judgeAll(jobs: readonly FileJob[]): FileVerdict[] {
  return jobs.map((j) => scanFile(j.path, j.content, j.commit));
}

/** Judges every job, in order, using worker threads when the work is large enough to pay for them. */
export async function scanFiles(jobs: readonly FileJob[]): Promise<FileVerdict[]> {
  const bytes = jobs.reduce((n, j) => n + j.content.length, 0);
  const threads = Math.min(availableParallelism(), 8);
  if (threads < 2 || jobs.length < PARALLEL_MIN_FILES || bytes < PARALLEL_MIN_BYTES) return judgeAll(jobs);
  // Contiguous slices keep results in input order. The main thread only waits: it has already
  // spent its share reading the files, and equal slices on idle workers finish together.
  // Loaded here: the small scans of a commit never start a worker and do not pay for the module.
  const { Worker } = await import('node:worker_threads');
  const size = Math.ceil(jobs.length / threads);
  const slices = Array.from({ length: threads }, (_, i) => jobs.slice(i * size, (i + 1) * size));
  const results = await Promise.all(
    slices.map(
      (slice) =>
        new Promise<FileVerdict[]>((resolve, reject) => {
          // worker.js sits beside this module in the build (dist/src/scan/) and beside the bundle
          // (dist/cli/, where tools/bundle.mjs writes it as an entry of its own).
          const w = new Worker(new URL('./worker.js', import.meta.url), {
            workerData: { mark: WORKER_MARK, jobs: slice.map((j) => ({ path: j.path, content: j.content, commit: j.commit })) } satisfies WorkerInput,
          });
          w.once('message', (v: FileVerdict[]) => resolve(v));
          w.once('error', reject);
          w.once('exit', (code) => {
            if (code !== 0) reject(new Error(`failed to scan files: worker exited with ${code}`));
          });
        }),
    ),
  );
  return results.flat();
}
