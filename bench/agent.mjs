// Agent benchmark: initial sync of 1,000 objects (800 ConfigMaps, 200 SealedSecrets) from a
// file:// repository into a throwaway local control plane, then a no-op resync, then a change
// of one object, in one long-running agent (which remembers the last apply and unseal between
// reconciles); then a cold no-op resync without that memory, as `agent --once` runs.
// Prints wall time, API requests and peak RSS of each step.
// Run: npm run build && node bench/agent.mjs   (needs etcd + kube-apiserver: npm run assets)
import { generateKeyPairSync, createPublicKey } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { KubeClient, Discovery, loadKubeConfig, reconcileSync } from '../dist/src/index.js';
import { startControlPlane } from '../dist/test/cluster/control-plane.js';
import { benchAgentContext, benchRepo, commitBenchApps, prepareBenchSync } from './lib/support.mjs';

const CONFIGMAPS = 800;
const SEALED = 200;
const NAMESPACES = 4;

const bench = benchRepo('sealops-bench-');
const { root, repo, git } = bench;

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 4096 });
const publicKey = createPublicKey(privateKey);

const nsNames = Array.from({ length: NAMESPACES }, (_, i) => `bench-${i}`);
commitBenchApps(bench, { namespaces: nsNames, configMaps: CONFIGMAPS, sealed: SEALED, publicKey });

process.stdout.write('starting control plane…\n');
const cp = await startControlPlane({ controllerManager: false });
const client = new KubeClient(loadKubeConfig(cp.kubeconfigPath), 16);
try {
  await prepareBenchSync(client, { keys: { 'cluster.pem': privateKey.export({ type: 'pkcs8', format: 'pem' }) }, namespaces: ['sealops-system'], spec: { source: { url: `file://${repo}`, ref: { branch: 'main' } }, path: 'apps' } });
  const ctx = benchAgentContext(client, root);
  const step = async (label, context = ctx) => {
    const sync = await client.request('GET', '/apis/sealops.dev/v1alpha1/namespaces/sealops-system/syncs/bench');
    const before = client.requests;
    const t0 = performance.now();
    const outcome = await reconcileSync(context, sync);
    const ms = performance.now() - t0;
    const rssMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(
      `${label.padEnd(22)} ${(ms / 1000).toFixed(2).padStart(6)} s  ${String(client.requests - before).padStart(5)} API requests  peak RSS ${rssMb.toFixed(0)} MB  ${outcome.reason} ${JSON.stringify(outcome.counts)}\n`,
    );
    if (!outcome.ok) throw new Error(outcome.message);
  };
  const baseRss = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(`baseline peak RSS after loading and setup: ${baseRss.toFixed(0)} MB\n`);
  await step('initial sync (1000)');
  await step('no-op resync');
  writeFileSync(join(repo, 'apps', 'cm-7.yaml'), stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm-7', namespace: nsNames[7 % NAMESPACES] }, data: { index: '7', payload: 'changed' } }));
  git('commit', '-q', '-am', 'one change');
  await step('one-object change');
  // What `sealops agent --once` (a fresh process, no memory of earlier runs) pays for a no-op.
  await step('no-op resync, cold', { ...ctx, discovery: new Discovery(client), applyCaches: undefined, decryptMemos: undefined });
} finally {
  client.close();
  await cp.stop();
  rmSync(root, { recursive: true, force: true });
}
