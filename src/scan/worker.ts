/**
 * Entry of a scan worker thread (started by {@link scanFiles} in parallel.ts): judges its slice
 * of files and posts the verdicts back. A module of its own, so that importing the library has
 * no side effect, and a bundle can keep it as a separate entry.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { judgeAll, WORKER_MARK, type WorkerInput } from './parallel.js';

const input = workerData as Partial<WorkerInput> | null | undefined;
// Any other worker thread that loads this file by mistake must not mistake itself for a scan worker.
if (!isMainThread && parentPort && input?.mark === WORKER_MARK && input.jobs) {
  const jobs = input.jobs.map((j) => ({ ...j, content: Buffer.from(j.content.buffer, j.content.byteOffset, j.content.byteLength) }));
  parentPort.postMessage(judgeAll(jobs));
}
