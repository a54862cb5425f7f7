// Agent liveness benchmark: how long the main thread's event loop stalls while the decrypt stage
// parses and opens one large SOPS Secret, inline (as before) and in the decrypt worker thread
// (as the agent runs it now, from its build memo), with the cost of starting node itself (`node -e 0`) for scale. A
// 5 ms timer measures the loop: its worst gap is how long /healthz or a Lease renewal would have
// waited. Figures on a loaded 2-core box (linear parser), 8,000 keys (1.3 MiB sealed): inline
// stalls the loop 1.7 s (the whole decryption); the worker 47 ms, for 1.6 s of decryption.
// Run: npm run build && node bench/agent-offthread.mjs [keys, default 6900]
import { execFileSync } from 'node:child_process';
import { generateAgeKeyPair, sealSops } from '../dist/src/index.js';
import { parseAllDocuments } from 'yaml';
import { decryptManifests } from '../dist/src/agent/decrypt/index.js';
import { renderOffThread } from '../dist/src/agent/offthread.js';
import { stallMeter } from './lib/support.mjs';

const count = Number(process.argv[2] ?? 6900);
const key = await generateAgeKeyPair();
let plain = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: bench\nstringData:\n';
for (let i = 0; i < count; i++) plain += `  key${i}: value-${i}-of-a-large-sealed-secret\n`;
const sealed = await sealSops(plain, { recipients: [key.recipient], format: 'yaml' });
// The build as kustomize hands it over: the sealed object, and the committed file it came from.
const object = parseAllDocuments(sealed)[0].toJS();
const build = () => ({ manifests: [{ object, file: 'big.sops.yaml', doc: 0 }], files: [], skipped: [], sources: [{ path: 'big.sops.yaml', content: Buffer.from(sealed) }] });
const options = { keys: async () => ({ ageIdentities: [key.identity], rsaKeys: [] }) };

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function measure(label, work) {
  const meter = stallMeter();
  await sleep(20);
  const t = performance.now();
  const r = await work();
  const wall = performance.now() - t;
  await sleep(20);
  const worst = meter.stop();
  if (r.unsealed !== 1) throw new Error(`${label}: expected one unsealed object, got ${r.unsealed}`);
  console.log(`${label.padEnd(24)} wall ${wall.toFixed(0).padStart(7)} ms   worst event-loop stall ${worst.toFixed(0).padStart(7)} ms`);
}

const t = performance.now();
execFileSync(process.execPath, ['-e', '0']);
console.log(`${'node -e 0'.padEnd(24)} wall ${(performance.now() - t).toFixed(0).padStart(7)} ms`);
console.log(`decrypt of a SOPS Secret of ${count} keys (${(sealed.length / 1024).toFixed(0)} KiB sealed):`);
await measure('inline (main thread)', () => decryptManifests(build(), options));
// The build memo's path: the build is done, the worker only decrypts.
await measure('worker thread', () => renderOffThread({ files: build().sources, path: '' }, options, { signal: new AbortController().signal }, build()));
