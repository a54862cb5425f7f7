/**
 * Entry of a decrypt worker thread (started by {@link decryptOffThread} in offthread.ts): runs
 * the decrypt stage on the objects and sealed sources it was given, asks the main thread for
 * the keys when it needs them, and posts the unsealed objects back. A module of its own, so that
 * importing the library has no side effect, and a bundle can keep it as a separate entry.
 */
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SealopsError, describe } from '../../errors.js';
import { decryptManifests, type DecryptionKeys, type DecryptMemo, type DecryptOptions } from './index.js';
import { DECRYPT_WORKER_MARK, type DecryptWorkerInput, type FromWorker, type ToWorker } from './offthread.js';

const input = workerData as Partial<DecryptWorkerInput> | null | undefined;
// Any other worker thread that loads this file by mistake must not mistake itself for a decrypt worker.
if (!isMainThread && parentPort && input?.mark === DECRYPT_WORKER_MARK && input.manifests && input.sources) {
  const port = parentPort;
  const send = (msg: FromWorker): void => port.postMessage(msg);
  let memo: DecryptMemo | undefined;
  const keys = (): Promise<DecryptionKeys> =>
    new Promise((resolve) => {
      port.once('message', (msg: ToWorker) => {
        if (msg.memo) memo = { previous: msg.memo };
        resolve(msg.keys);
      });
      send({ type: 'keys' });
    });
  const options: Record<string, unknown> = { ...input.data, keys: input.redact ? 'redact' : keys, memo: () => memo };
  for (const name of input.callbacks ?? []) options[name] = (...args: unknown[]): void => send({ type: 'call', name, args });
  const manifests = input.manifests;
  // Structured clone turned Buffers into Uint8Arrays.
  const sources = input.sources.map((s) => ({ path: s.path, content: Buffer.from(s.content.buffer, s.content.byteOffset, s.content.byteLength) }));
  decryptManifests({ manifests, sources, files: [], skipped: [] }, options as unknown as DecryptOptions).then(
    (r) => {
      // Objects left as they were need not travel back: one per input object, in order.
      const same = r.manifests.length === manifests.length;
      const replaced = same ? r.manifests.flatMap((m, i): [number, typeof m][] => (m === manifests[i] ? [] : [[i, m]])) : null;
      send({ type: 'done', replaced, manifests: same ? null : r.manifests, secrets: r.secrets, unsealed: r.unsealed, ...(memo ? { memo: memo.previous } : {}) });
    },
    (err: unknown) => send({ type: 'error', code: err instanceof SealopsError ? err.code : undefined, message: describe(err), ...(memo ? { memo: memo.previous } : {}) }),
  );
}
