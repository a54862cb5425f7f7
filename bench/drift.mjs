// Drift benchmark: 1,000 applied objects (800 ConfigMaps, 200 SealedSecrets) in a throwaway local
// control plane. Prints wall time and API requests of a no-op resync without a drift check due (the
// cost before drift detection), with one (long-running agent: its apply cache spares the dry-runs
// of objects it left untouched; cold, as `agent --once`), and of a report-mode check that finds 50
// drifted objects; and `node -e 0` for scale.
// Run: npm run build && node bench/drift.mjs   (needs etcd + kube-apiserver: npm run assets)
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { rmSync } from 'node:fs';
import { KubeClient, Discovery, loadKubeConfig, reconcileSync } from '../dist/src/index.js';
import { startControlPlane } from '../dist/test/cluster/control-plane.js';
import { benchAgentContext, benchRepo, commitBenchApps, prepareBenchSync } from './lib/support.mjs';

const CONFIGMAPS = 800;
const SEALED = 200;
const DRIFTED = 50;

const bench = benchRepo('sealops-bench-drift-');
const { root, repo } = bench;

const t0 = performance.now();
execFileSync(process.execPath, ['-e', '0']);
const nodeMs = performance.now() - t0;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
const publicKey = createPublicKey(privateKey);
commitBenchApps(bench, { namespaces: ['bench-drift'], namespacesFile: 'namespace.yaml', configMaps: CONFIGMAPS, sealed: SEALED, publicKey });

process.stdout.write('starting control plane…\n');
const cp = await startControlPlane({ controllerManager: false });
const client = new KubeClient(loadKubeConfig(cp.kubeconfigPath), 16);
const syncPath = '/apis/sealops.dev/v1alpha1/namespaces/sealops-system/syncs/bench';
try {
  await prepareBenchSync(client, { keys: { 'cluster.pem': privateKey.export({ type: 'pkcs8', format: 'pem' }) }, spec: { source: { url: `file://${repo}`, ref: { branch: 'main' } }, path: 'apps', driftInterval: '1h' } });
  const ctx = benchAgentContext(client, root);
  const cold = () => ({ ...ctx, discovery: new Discovery(client), applyCaches: undefined, decryptMemos: undefined, buildMemos: undefined });
  const step = async (label, context = ctx) => {
    const sync = await client.request('GET', syncPath);
    const before = client.requests;
    const start = performance.now();
    const outcome = await reconcileSync(context, sync);
    const ms = performance.now() - start;
    if (!outcome.ok) throw new Error(outcome.message);
    const drifted = (await client.request('GET', syncPath)).status?.drift?.objects?.length;
    process.stdout.write(`${label.padEnd(40)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${String(client.requests - before).padStart(5)} API requests${drifted === undefined ? '' : `  drift ${drifted}`}\n`);
  };
  const spec = (s) => client.request('PATCH', syncPath, { body: { spec: s }, contentType: 'application/merge-patch+json' });
  process.stdout.write(`node -e 0                                  ${(nodeMs / 1000).toFixed(2).padStart(6)} s\n`);
  await step('initial sync (1000)');
  await step('no-op resync + first drift check');
  await step('no-op resync, check not due');
  await step('no-op resync, check not due, cold', cold());
  await spec({ driftInterval: null });
  await step('spec change (applies, no check)');
  await step('no-op resync + drift check');
  await step('no-op resync + drift check, cold', cold());
  await spec({ drift: { mode: 'report' } });
  await step('spec change to report (applies)');
  for (let i = 0; i < DRIFTED; i++) {
    await client.request('PATCH', `/api/v1/namespaces/bench-drift/configmaps/cm-${i}`, { body: { data: { index: 'edited' } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'kubectl-edit' } });
  }
  await step(`report-mode check, ${DRIFTED} drifted`);
  await step(`report-mode check, ${DRIFTED} drifted, cold`, cold());
} finally {
  client.close();
  await cp.stop();
  rmSync(root, { recursive: true, force: true });
}
