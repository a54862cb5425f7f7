// Agent build benchmark: a folder of plain manifests (no kustomization) holding one crafted file,
// 6 MiB of flow-style YAML (under the 8 MiB per-file cap) whose parse costs the yaml library
// hundreds of bytes per input byte. Each mode runs in a fresh process, as the agent would:
// - inline: the build stage on the main thread, as before (the agent's event loop stalls for the
//   whole parse, and the process grows far past the deployment's 384 MiB);
// - worker: the agent's build worker with its default heap cap, which refuses the file
//   (BuildFailed naming it) while the main thread keeps turning.
// Printed: wall time, peak RSS of the process (main thread and worker together), worst gap of a
// 5 ms timer on the main thread (how long /healthz or a Lease renewal would have waited), the
// outcome; and `node -e 0` for scale.
// Figures on a loaded 2-core box, 6 MiB (two runs): inline 33–65 s, 3.4–3.7 GB peak, the loop
// stalled for all of it, the file read whole; worker 4.0–9.1 s, 262 MB peak, worst stall
// 50–110 ms, BuildFailed naming the file; `node -e 0` 0.08–0.23 s, 43 MB. (Issue #16 measured
// inline at 12 s and 1.7 GB on a quieter one.)
// Run: npm run build && node bench/agent-build-offthread.mjs [MiB, default 6]
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stallMeter } from './lib/support.mjs';

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--child') {
  const [, , , mode, mib] = process.argv;
  const { renderSync } = await import('../dist/src/agent/render.js');
  const bytes = Math.round(Number(mib) * 1024 * 1024);
  const crafted = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: crafted}\nitems: [${'0,'.repeat(bytes / 2)}0]\n`;
  const files = [
    { path: 'app/settings.yaml', content: Buffer.from('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  mode: plain\n') },
    { path: 'app/zz-crafted.yaml', content: Buffer.from(crafted) },
  ];
  const meter = stallMeter();
  const t = performance.now();
  let outcome;
  try {
    const r = await renderSync({ files, path: 'app' }, { keys: 'redact' }, undefined, mode === 'worker' ? { signal: new AbortController().signal } : undefined);
    outcome = `built ${r.manifests.length} objects`;
  } catch (err) {
    outcome = err.message;
  }
  const wall = performance.now() - t;
  const worst = meter.stop();
  process.stdout.write(JSON.stringify({ wall, worst, rss: process.resourceUsage().maxRSS * 1024, outcome }));
} else {
  const mib = process.argv[2] ?? '6';
  const mb = (b) => `${(b / 1e6).toFixed(0).padStart(6)} MB`;
  const t = performance.now();
  const floor = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS * 1024))'], { encoding: 'utf8' });
  console.log(`${'node -e 0'.padEnd(10)} wall ${(performance.now() - t).toFixed(0).padStart(7)} ms   peak RSS ${mb(Number(floor.stdout))}`);
  execFileSync(process.execPath, ['-e', '0']);
  console.log(`build of a plain-manifest folder holding ${mib} MiB of crafted flow YAML:`);
  for (const mode of ['inline', 'worker']) {
    const r = JSON.parse(execFileSync(process.execPath, [self, '--child', mode, mib], { encoding: 'utf8', maxBuffer: 1 << 20 }));
    console.log(`${mode.padEnd(10)} wall ${r.wall.toFixed(0).padStart(7)} ms   peak RSS ${mb(r.rss)}   worst event-loop stall ${r.worst.toFixed(0).padStart(6)} ms   ${r.outcome}`);
  }
}
