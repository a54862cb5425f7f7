/**
 * The decrypt stage in a worker thread, so a repository cannot starve the agent: parsing the
 * sealed sources and opening every sealed value is synchronous CPU work (seconds for a Secret of
 * thousands of keys), and while it runs on the main thread `/healthz`, metrics, the watch and
 * Lease renewal wait. kustomize already runs as a child process; key loading stays here on the
 * main thread (it reads the cluster): the worker asks for the keys only when it found something
 * sealed, exactly when {@link decryptManifests} would call `options.keys`.
 *
 * Plain data crosses: the built objects, the texts of the files that hold `ENC[…]`, the keys
 * (age identities as strings, RSA keys as KeyObjects, which Node clones between threads) and
 * the memo. Back come the unsealed objects and the values to redact. Any other option is passed
 * on: data as is, a function as a one-way call back to this thread (e.g. a warning to log).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DecryptError, describe, rebuildError, type ErrorCode } from '../../errors.js';
import { isSealedSecret } from '../../formats/sealedsecret/index.js';
import type { BuildInput, BuildResult, Manifest } from '../../build/index.js';
import { decryptManifests, type DecryptionKeys, type DecryptOptions, type DecryptResult } from './index.js';

/** Marks the workers this module starts (any other worker importing the library is not one). */
export const DECRYPT_WORKER_MARK = 'sealops-decrypt-worker';

const ENC_PREFIX = 'ENC[AES256_GCM,';

/** What the worker receives. */
export interface DecryptWorkerInput {
  readonly mark: string;
  readonly manifests: Manifest[];
  /** Only the files holding `ENC[…]`: the others cannot be sealed sources. */
  readonly sources: { path: string; content: Uint8Array }[];
  readonly redact: boolean;
  /** The other options: plain data. */
  readonly data: Record<string, unknown>;
  /** Names of the other options that are functions, called back on this thread. */
  readonly callbacks: string[];
}

/** Messages from the worker. */
export type FromWorker =
  | { type: 'keys' }
  | { type: 'call'; name: string; args: unknown[] }
  | { type: 'done'; replaced: [number, Manifest][] | null; manifests: Manifest[] | null; secrets: string[]; unsealed: number; memo?: Map<string, unknown> }
  | { type: 'error'; code?: ErrorCode; message: string; memo?: Map<string, unknown> };

/** Messages to the worker: the keys it asked for, with the memo belonging to them. */
export type ToWorker = { type: 'keys'; keys: DecryptionKeys; memo?: Map<string, unknown> };

function workerUrl(): URL | undefined {
  // decrypt-worker.js sits beside this module in the build (dist/src/agent/decrypt/) and beside
  // the bundle (dist/cli/, an entry of its own in tools/bundle.mjs). Run from TypeScript sources
  // (vitest) there is none, and the stage runs inline.
  const url = new URL('./decrypt-worker.js', import.meta.url);
  return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : undefined;
}

/** A fresh copy of the bytes: a pooled Buffer would clone its whole backing store. */
function ownBytes(b: Uint8Array): Uint8Array {
  return new Uint8Array(b);
}

function sealedSources(sources: readonly BuildInput[]): { path: string; content: Uint8Array }[] {
  return sources.filter((s) => s.content.indexOf(ENC_PREFIX) >= 0).map((s) => ({ path: s.path, content: ownBytes(s.content) }));
}

/**
 * {@link decryptManifests} in a worker thread, aborted (the worker terminated) when `signal`
 * fires: the reconcile deadline, the end of the leadership term, or shutdown. A build with
 * nothing sealed in it is checked inline: there is nothing heavy to do.
 */
export async function decryptOffThread(build: BuildResult, options: DecryptOptions, signal: AbortSignal): Promise<DecryptResult> {
  signal.throwIfAborted();
  const sources = sealedSources(build.sources);
  const url = workerUrl();
  if (!url || (sources.length === 0 && !build.manifests.some((m) => 'sops' in m.object || isSealedSecret(m.object)))) return decryptManifests(build, options);
  const { keys, memo, ...rest } = options;
  const data: Record<string, unknown> = {};
  const callbacks: Record<string, (...args: unknown[]) => unknown> = {};
  for (const [name, value] of Object.entries(rest)) {
    if (typeof value === 'function') callbacks[name] = value as (...args: unknown[]) => unknown;
    else data[name] = value;
  }
  const input: DecryptWorkerInput = { mark: DECRYPT_WORKER_MARK, manifests: build.manifests, sources, redact: keys === 'redact', data, callbacks: Object.keys(callbacks) };
  const { Worker } = await import('node:worker_threads');
  return new Promise<DecryptResult>((resolve, reject) => {
    const worker = new Worker(url, { workerData: input });
    let settled = false;
    let held: { previous: Map<string, unknown> } | undefined;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      void worker.terminate();
      fn();
    };
    const keepMemo = (fresh: Map<string, unknown> | undefined): void => {
      if (held && fresh) held.previous = fresh;
    };
    const onAbort = (): void => settle(() => reject(signal.reason instanceof Error ? signal.reason : new Error(describe(signal.reason))));
    signal.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'keys') {
        if (typeof keys !== 'function') return settle(() => reject(new DecryptError('failed to decrypt: the worker asked for keys in redact mode')));
        keys().then(
          (k) => {
            if (settled) return;
            held = memo?.();
            worker.postMessage({ type: 'keys', keys: k, ...(held ? { memo: held.previous } : {}) } satisfies ToWorker);
          },
          // A keys failure is the main thread's own error: passed on as thrown.
          (err: unknown) => settle(() => reject(err instanceof Error ? err : new Error(describe(err)))),
        );
      } else if (msg.type === 'call') {
        callbacks[msg.name]?.(...msg.args);
      } else if (msg.type === 'done') {
        keepMemo(msg.memo);
        let manifests = msg.manifests;
        if (!manifests) {
          manifests = [...build.manifests];
          for (const [i, m] of msg.replaced ?? []) manifests[i] = m;
        }
        settle(() => resolve({ manifests, secrets: msg.secrets, unsealed: msg.unsealed }));
      } else {
        keepMemo(msg.memo);
        settle(() => reject(rebuildError(msg.code, msg.message)));
      }
    });
    worker.once('error', (err) => settle(() => reject(new DecryptError(`failed to decrypt: the decrypt worker failed: ${describe(err)}`))));
    // Settled already unless the worker died without a reply (out of memory, for one).
    worker.once('exit', (code) => settle(() => reject(new DecryptError(`failed to decrypt: the decrypt worker exited with code ${code}`))));
  });
}
