/**
 * Entry of a bulk worker thread (started by {@link startHelpers} in bulk-threads.ts): claims files
 * of the run from the shared counter, rekeys or rotates and writes each, and posts every outcome
 * (codes and messages only: names and paths, never a value) back. A module of its own, so that
 * importing the library has no side effect, and a bundle can keep it as a separate entry.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { describe } from '../errors.js';
import { createConfigCache } from '../keys/config.js';
import { BULK_WORKER_MARK, drainFiles, type BulkWorkerInput, type FromBulkWorker, type ToBulkWorker } from './bulk-threads.js';

const input = workerData as Partial<BulkWorkerInput> | null | undefined;
// Any other worker thread that loads this file by mistake must not mistake itself for a bulk worker.
if (!isMainThread && parentPort && input?.mark === BULK_WORKER_MARK && input.shared && input.keys && input.mode && input.cwd) {
  const port = parentPort;
  const send = (msg: FromBulkWorker): void => port.postMessage(msg);
  const request = { keys: input.keys, ...(input.recipients ? { recipients: input.recipients } : {}), ...(input.clusters ? { clusters: input.clusters } : {}) };
  const run = { mode: input.mode, request, cwd: input.cwd, cache: createConfigCache() };
  const shared = new Int32Array(input.shared);
  // Started before the files are found: they follow in one message.
  port.once('message', (msg: ToBulkWorker) => {
    drainFiles(run, msg.files, shared, (index, outcome) => {
      if ('failed' in outcome) send({ type: 'file', index, failed: { code: outcome.failed.code, message: outcome.failed.message } });
      else send({ type: 'file', index, outcome });
    }).then(
      () => send({ type: 'done' }),
      (err: unknown) => send({ type: 'fatal', message: describe(err) }),
    );
  });
}
