/**
 * The CPU-heavy stages of a reconcile (build: parsing every manifest; decrypt: parsing and
 * opening every sealed file) run in a worker thread, so a repository cannot starve the agent:
 * `/healthz`, metrics, the watch and Lease renewal keep running on the main thread meanwhile,
 * and a reconcile past its deadline stops by terminating the worker.
 *
 * Run from TypeScript sources (tests under vitest) there is no JavaScript entry to start a
 * worker from, so the stages run inline there; the built package always uses the worker.
 */
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { SealopsError, describe, type ErrorCode } from '../errors.js';
import { buildManifests, type BuildInput, type BuildResult } from '../build/index.js';
import { decryptManifests, type DecryptionKeys, type DecryptMemo, type DecryptResult } from './decrypt/index.js';

const MARK = 'sealops-reconcile-stage';

type Task = { kind: 'build'; files: readonly BuildInput[] } | { kind: 'decrypt'; build: BuildResult; keys: DecryptionKeys; memo?: Map<string, unknown> };
type Reply = { ok: true; value: unknown; memo?: Map<string, unknown> } | { ok: false; code?: ErrorCode; message: string };

async function perform(task: Task): Promise<{ value: unknown; memo?: Map<string, unknown> }> {
  if (task.kind === 'build') return { value: buildManifests(task.files) };
  const memo: DecryptMemo | undefined = task.memo ? { previous: task.memo } : undefined;
  const value = await decryptManifests(task.build, task.keys, undefined, memo);
  return { value, memo: memo?.previous };
}

/** True when this module runs as built JavaScript, so a worker can load it. */
function workerAvailable(): boolean {
  return import.meta.url.endsWith('.js');
}

function run(task: Task, signal: AbortSignal): Promise<{ value: unknown; memo?: Map<string, unknown> }> {
  signal.throwIfAborted();
  if (!workerAvailable()) return perform(task);
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { mark: MARK, task } });
    const onAbort = (): void => {
      void worker.terminate();
      reject(signal.reason instanceof Error ? signal.reason : new Error(describe(signal.reason)));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const done = (): void => signal.removeEventListener('abort', onAbort);
    worker.once('message', (reply: Reply) => {
      done();
      if (reply.ok) resolve({ value: reply.value, memo: reply.memo });
      else reject(reply.code ? new SealopsError(reply.code, reply.message) : new Error(reply.message));
      void worker.terminate();
    });
    worker.once('error', (err) => {
      done();
      reject(err);
    });
    worker.once('exit', (code) => {
      done();
      // Settled already unless the worker died without a reply (e.g. out of memory).
      reject(new Error(`the reconcile worker exited with code ${code}`));
    });
  });
}

/** {@link buildManifests} off the main thread; aborts (terminating the worker) with `signal`. */
export async function buildOffThread(files: readonly BuildInput[], signal: AbortSignal): Promise<BuildResult> {
  // Only the bytes travel: a Buffer's pooled backing store would copy far more.
  const plain = files.map((f) => ({ path: f.path, content: Buffer.from(f.content) }));
  return (await run({ kind: 'build', files: plain }, signal)).value as BuildResult;
}

/** {@link decryptManifests} with the library's readers, off the main thread; keeps `memo` current. */
export async function decryptOffThread(build: BuildResult, keys: DecryptionKeys, memo: DecryptMemo | undefined, signal: AbortSignal): Promise<DecryptResult> {
  const out = await run({ kind: 'decrypt', build, keys, ...(memo ? { memo: memo.previous } : {}) }, signal);
  if (memo && out.memo) memo.previous = out.memo;
  return out.value as DecryptResult;
}

const input = workerData as { mark?: string; task?: Task } | null | undefined;
if (!isMainThread && parentPort && input?.mark === MARK && input.task) {
  const port = parentPort;
  let task = input.task;
  if (task.kind === 'build') {
    // Buffers arrive as plain Uint8Arrays.
    task = { kind: 'build', files: task.files.map((f) => ({ path: f.path, content: Buffer.from(f.content.buffer, f.content.byteOffset, f.content.byteLength) })) };
  }
  perform(task).then(
    (r) => port.postMessage({ ok: true, value: r.value, memo: r.memo } satisfies Reply),
    (err: unknown) => port.postMessage({ ok: false, code: err instanceof SealopsError ? err.code : undefined, message: describe(err) } satisfies Reply),
  );
}
