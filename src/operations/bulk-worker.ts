/**
 * Entry of a bulk worker thread (started by {@link startHelpers} in bulk-start.ts, possibly before
 * the run is known): waits for its run in one message, claims files of the run from the shared
 * counter, rekeys or rotates and writes each, and posts every outcome (codes and messages only:
 * names and paths, never a value) back. A module of its own, so that importing the library has
 * no side effect, and a bundle can keep it as a separate entry.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { describe } from '../errors.js';
import { createConfigCache } from '../keys/config.js';
import { BULK_WORKER_MARK } from './bulk-start.js';
import { drainFiles, type FromBulkWorker, type ToBulkWorker } from './bulk-threads.js';

// Any other worker thread that loads this file by mistake must not mistake itself for a bulk worker.
if (!isMainThread && parentPort && (workerData as { mark?: unknown } | null | undefined)?.mark === BULK_WORKER_MARK) {
  const port = parentPort;
  const send = (msg: FromBulkWorker): void => port.postMessage(msg);
  port.once('message', (input: ToBulkWorker) => {
    const request = { keys: input.keys, ...(input.recipients ? { recipients: input.recipients } : {}), ...(input.clusters ? { clusters: input.clusters } : {}) };
    const run = { mode: input.mode, request, cwd: input.cwd, cache: createConfigCache() };
    drainFiles(run, input.files, new Int32Array(input.shared), (index, outcome) => {
      if ('failed' in outcome) send({ type: 'file', index, failed: { code: outcome.failed.code, message: outcome.failed.message } });
      else send({ type: 'file', index, outcome });
    }).then(
      () => send({ type: 'done' }),
      (err: unknown) => send({ type: 'fatal', message: describe(err) }),
    );
  });
}
