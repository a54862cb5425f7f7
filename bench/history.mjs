// Cost of the history digest the agent computes after every successful apply (status.history):
// appliedDigest over N built objects while masking S secret values, against plain
// JSON.stringify + SHA-256 of the same objects (what a digest that did not care about secrets
// would cost) and against `node -e 0`. The masking must stay linear in the text whatever S is:
// the ratio columns compare 10× the objects and 100× the secrets.
// Run: npm run build && node bench/history.mjs
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appliedDigest } from '../dist/src/agent/status/history.js';

const ROUNDS = 5;

function objects(n) {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1',
    kind: i % 10 === 0 ? 'Secret' : 'ConfigMap',
    metadata: { name: `obj-${i}`, namespace: 'bench', labels: { app: `app-${i % 7}` } },
    data: Object.fromEntries(Array.from({ length: 10 }, (_, k) => [`key${k}`, `value-${i}-${k}-${'x'.repeat(24)}`])),
  }));
}

function median(fn) {
  fn();
  const samples = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return samples.sort((a, b) => a - b)[ROUNDS >> 1];
}

const t0 = process.hrtime.bigint();
execFileSync(process.execPath, ['-e', '0']);
console.log(`node -e 0                                 ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);

const results = {};
for (const [n, s] of [[500, 10], [5000, 10], [5000, 1000]]) {
  const objs = objects(n);
  const entries = objs.map((o) => ({ id: `bench_${o.metadata.name}__${o.kind}`, v: 'v1' }));
  const secrets = Array.from({ length: s }, (_, i) => `secret-${i}-${'s'.repeat(16)}`);
  const ours = median(() => appliedDigest(entries, objs, secrets));
  const plain = median(() => createHash('sha256').update(JSON.stringify(objs)).digest('hex'));
  results[`${n}/${s}`] = ours;
  console.log(`appliedDigest ${String(n).padStart(5)} objects ${String(s).padStart(5)} secrets   ${ours.toFixed(1).padStart(7)} ms   (plain JSON + SHA-256: ${plain.toFixed(1)} ms)`);
}
console.log(`ratio 10x objects: ${(results['5000/10'] / results['500/10']).toFixed(1)}   ratio 100x secrets: ${(results['5000/1000'] / results['5000/10']).toFixed(1)}   (linear: ~10 and ~1)`);
