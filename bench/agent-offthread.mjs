// Agent liveness benchmark: how long the main thread's event loop stalls while the build stage
// parses a heavy file, inline (as before) and in the reconcile worker (as now), with the cost of
// starting node itself (`node -e 0`) for scale. A 5 ms timer measures the loop: its worst gap
// is how long /healthz or a Lease renewal would have waited. Figures on a loaded 2-core box:
// 256 KiB: inline stalls the loop 4.7 s (the whole parse); the worker about 0.1 s (its start).
// Run: npm run build && node bench/agent-offthread.mjs [KiB, default 256]
import { execFileSync } from 'node:child_process';
import { buildManifests } from '../dist/src/build/index.js';
import { buildOffThread } from '../dist/src/agent/offthread.js';

const kib = Number(process.argv[2] ?? 256);
const lines = [];
for (let i = 0, size = 0; size < kib * 1024; i++) {
  const line = `k${i}: [a, b, {c: d, e: f}]\n`;
  lines.push(line);
  size += line.length;
}
const files = [{ path: 'noise.yaml', content: Buffer.from(lines.join('')) }];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function measure(label, work) {
  // The largest gap between ticks of a 5 ms timer: how long anything else had to wait.
  let last = performance.now();
  let worst = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  await sleep(20);
  const t = performance.now();
  await work();
  const wall = performance.now() - t;
  await sleep(20);
  clearInterval(tick);
  console.log(`${label.padEnd(22)} wall ${wall.toFixed(0).padStart(7)} ms   worst event-loop stall ${worst.toFixed(0).padStart(7)} ms`);
}

let t = performance.now();
execFileSync(process.execPath, ['-e', '0']);
console.log(`${'node -e 0'.padEnd(22)} wall ${(performance.now() - t).toFixed(0).padStart(7)} ms`);
console.log(`build of ${kib} KiB of YAML:`);
await measure('inline (main thread)', async () => buildManifests(files));
await measure('worker thread', () => buildOffThread(files, new AbortController().signal));
