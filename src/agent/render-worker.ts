/**
 * Entry of a render worker thread (started by {@link renderOffThread} in offthread.ts): builds
 * the repository it was given (announcing each file before parsing it, asking the main thread
 * to run kustomize), decrypts the result (asking the main thread for the keys when it needs
 * them), and posts both back. A module of its own, so that importing the library has no side
 * effect, and a bundle can keep it as a separate entry.
 */
import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import type { BuildInput, BuildResult } from '../build/index.js';
import type { KustomizeRun } from '../build/kustomize.js';
import { renderPath, type RenderResult } from '../build/render.js';
import { decryptManifests, type DecryptionKeys, type DecryptMemo, type DecryptOptions } from './decrypt/index.js';
import { failureOf, rebuildError, RENDER_WORKER_MARK, type BuiltPart, type FromWorker, type RenderWorkerInput, type ToWorker } from './offthread.js';

const input = workerData as Partial<RenderWorkerInput> | null | undefined;
// Any other worker thread that loads this file by mistake must not mistake itself for a render worker.
if (!isMainThread && parentPort && input?.mark === RENDER_WORKER_MARK && input.bytes && input.files) void run(parentPort, input as RenderWorkerInput);

async function run(port: MessagePort, input: RenderWorkerInput): Promise<void> {
  const send = (msg: FromWorker): void => port.postMessage(msg);
  const replies = new Map<number, (msg: ToWorker) => void>();
  port.on('message', (msg: ToWorker) => {
    replies.get(msg.id)?.(msg);
    replies.delete(msg.id);
  });
  let next = 0;
  const ask = <T extends ToWorker>(request: (id: number) => FromWorker): Promise<T> =>
    new Promise((resolve) => {
      const id = next++;
      replies.set(id, resolve as (msg: ToWorker) => void);
      send(request(id));
    });
  let memo: DecryptMemo | undefined;
  try {
    // Views of the one transferred buffer: no copy.
    const buffer = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
    const files: BuildInput[] = input.files.map((f) => ({ path: f.path, content: buffer.subarray(f.start, f.end) }));
    let built: BuiltPart & Pick<BuildResult, 'manifests'>;
    let fresh: RenderResult | undefined;
    if (input.build) {
      fresh = await renderPath(
        { ...input.build, files },
        {
          reading: (file) => send({ type: 'reading', file }),
          kustomize: async (_files, root, rootFile, _options, overrides = new Map()) => {
            const reply = await ask<Extract<ToWorker, { type: 'kustomized' }>>((id) => ({ type: 'kustomize', id, root, rootFile, overrides: [...overrides] }));
            if (reply.failure) throw rebuildError(reply.failure);
            return reply.run as KustomizeRun;
          },
        },
      );
      built = fresh;
    } else {
      built = { manifests: input.manifests ?? [], skipped: [], kustomizeMs: 0 };
    }
    const keys = async (): Promise<DecryptionKeys> => {
      const reply = await ask<Extract<ToWorker, { type: 'keys' }>>((id) => ({ type: 'keys', id }));
      if (reply.memo) memo = { previous: reply.memo };
      return reply.keys;
    };
    const options: Record<string, unknown> = { ...input.data, keys: input.redact ? 'redact' : keys, memo: () => memo, opening: (where: string) => send({ type: 'opening', where }) };
    for (const name of input.callbacks) options[name] = (...args: unknown[]): void => send({ type: 'call', name, args });
    const r = await decryptManifests({ manifests: built.manifests, files: [], skipped: [], sources: files }, options as unknown as DecryptOptions);
    // One message: objects that decryption left alone are shared by both lists and cross once.
    const part: BuiltPart | undefined = fresh ? { manifests: fresh.manifests, skipped: fresh.skipped, kustomizeMs: fresh.kustomizeMs, ...(fresh.kustomization ? { kustomization: fresh.kustomization } : {}) } : undefined;
    send({ type: 'done', ...(part ? { built: part } : {}), manifests: r.manifests, secrets: r.secrets, unsealed: r.unsealed, ...(memo ? { memo: memo.previous } : {}) });
  } catch (err) {
    send({ type: 'error', failure: failureOf(err), ...(memo ? { memo: memo.previous } : {}) });
  }
  // The main thread terminates this worker once it has the answer.
}
