/**
 * The built library can be imported inside any worker thread: the scanner starts workers of its
 * own, and an import in someone else's worker must not be taken for one of them.
 */
import { describe, expect, it } from 'vitest';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';

const library = fileURLToPath(new URL('../../dist/src/index.js', import.meta.url));

describe('the built library in a worker thread', () => {
  it('imports and runs in a worker that carries its own workerData', async () => {
    const code = `
      const { parentPort } = require('node:worker_threads');
      import(${JSON.stringify(library)}).then(
        (lib) => parentPort.postMessage({ ok: typeof lib.redact === 'function', redacted: lib.redact('token=abcdef', ['abcdef']) }),
        (err) => parentPort.postMessage({ ok: false, error: String(err) }),
      );`;
    const worker = new Worker(code, { eval: true, workerData: [{ path: 'x', content: new Uint8Array(1) }] });
    const [message, exitCode] = await Promise.all([
      new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
      new Promise((resolve) => worker.once('exit', resolve)),
    ]);
    expect(message).toEqual({ ok: true, redacted: 'token=[REDACTED]' });
    expect(exitCode).toBe(0);
  });
});
