// Status page and metrics benchmark: renders the agent's page for N and 4N Syncs, each with a
// full status (10 history entries, 20 drifted objects of 3 paths, 5 unhealthy objects, four
// conditions), and scrapes /metrics with the same Syncs, through the real HTTP server. Prints
// per-request times (min and median), the ratio 4N/N (linear is ~4), the page size, beside a
// GET of /healthz on the same server (the floor of one request) and `node -e 0`.
// Run: npm run build && node bench/status-page.mjs
import { execFileSync } from 'node:child_process';
import { AgentMetrics, startHealthServer } from '../dist/src/index.js';

const N = Number(process.env.BENCH_N ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const now = Date.now();
const iso = (minutes) => new Date(now - minutes * 60_000).toISOString();

function sync(i) {
  const rev = (n) => `main@sha1:${(i * 100 + n).toString(16).padStart(40, '0')}`;
  const cond = (type, status, reason, message) => ({ type, status, reason, message, lastTransitionTime: iso(5) });
  return {
    apiVersion: 'sealops.dev/v1alpha1',
    kind: 'Sync',
    metadata: { namespace: `team-${i % 10}`, name: `app-${i}`, generation: 3 },
    spec: { source: { url: 'https://git.example/fleet.git', ref: { branch: 'main' } }, path: `apps/app-${i}`, wait: true },
    status: {
      observedGeneration: 3,
      conditions: [cond('Ready', 'False', 'ApplyFailed', `failed to apply Deployment team/app-${i}: field is immutable`), cond('Reconciling', 'False', 'ApplyFailed', ''), cond('Stalled', 'False', 'ApplyFailed', ''), cond('Healthy', 'False', 'HealthCheckFailed', 'Job team/migrate not ready')],
      lastAppliedRevision: rev(0),
      lastAttemptedRevision: rev(1),
      lastAppliedTime: iso(30),
      inventory: { entries: Array.from({ length: 40 }, (_, k) => ({ id: `team_o${k}__ConfigMap`, v: 'v1' })) },
      history: Array.from({ length: 10 }, (_, k) => ({ revision: rev(k), firstAppliedTime: iso(60 * k), lastAppliedTime: iso(60 * k), applies: k + 1, counts: { created: k, configured: 1, unchanged: 30, deleted: 0 }, digest: `sha256:${'ab'.repeat(32)}` })),
      drift: { checkedTime: iso(1), revision: rev(0), mode: 'report', objects: Array.from({ length: 20 }, (_, k) => ({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'team', name: `d${k}`, paths: ['/spec/replicas', '/spec/template/spec/containers/0/image', '/metadata/labels/tier'] })) },
      health: { checkedTime: iso(1), unhealthy: Array.from({ length: 5 }, (_, k) => ({ apiVersion: 'batch/v1', kind: 'Job', namespace: 'team', name: `j${k}`, reason: 'JobFailed' })) },
    },
  };
}

async function measure(url) {
  const times = [];
  let bytes = 0;
  for (let r = 0; r < RUNS; r++) {
    const t0 = performance.now();
    const res = await fetch(url);
    bytes = (await res.arrayBuffer()).byteLength;
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { min: times[0], median: times[times.length >> 1], bytes };
}

const rows = [];
const medians = {};
for (const n of [N, 4 * N]) {
  const syncs = Array.from({ length: n }, (_, i) => sync(i));
  const metrics = new AgentMetrics({ syncs: () => syncs, apiRequests: () => 0 });
  for (const s of syncs) metrics.observe(`${s.metadata.namespace}/${s.metadata.name}`, 'ApplyFailed', false, 1200);
  const server = await startHealthServer({ port: 0, host: '127.0.0.1', isReady: () => true, metrics, syncs: () => syncs });
  const base = `http://127.0.0.1:${server.address().port}`;
  for (const [what, path] of [['GET /healthz (floor)', '/healthz'], ['GET / (status page)', '/'], ['GET /metrics', '/metrics']]) {
    const m = await measure(`${base}${path}`);
    medians[`${path} ${n}`] = m.median;
    rows.push([`${what}, ${n} Syncs`, m.min.toFixed(1), m.median.toFixed(1), (m.bytes / 1024).toFixed(0)]);
  }
  server.close();
}
const t0 = performance.now();
execFileSync(process.execPath, ['-e', '0']);
rows.push(['node -e 0 (process start)', (performance.now() - t0).toFixed(1), '', '']);

console.log(`status page and metrics, ${RUNS} requests each (ms; KiB per response)`);
console.log(['what', 'min', 'median', 'KiB'].join('\t'));
for (const r of rows) console.log(r.join('\t'));
console.log(`ratio ${4 * N}/${N} Syncs: page ${(medians[`/ ${4 * N}`] / medians[`/ ${N}`]).toFixed(2)}, metrics ${(medians[`/metrics ${4 * N}`] / medians[`/metrics ${N}`]).toFixed(2)} (linear: ~4)`);
