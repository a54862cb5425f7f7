// A repository that takes long to process does not starve the agent: while `sealops agent`
// (the built CLI, long-running) parses a megabyte of YAML and decrypts a sealed Secret of
// hundreds of keys, /healthz keeps answering and the leader Lease keeps being renewed; then a SIGTERM in the middle of an apply
// ends the agent cleanly: it exits 0, releases the Lease, and the next agent converges.
// "While" is established by order, not by time: each answer counts only when the Sync still
// said Reconciling=True after it arrived.
// Needs `npm run build` first (npm test does it): the agent runs dist/cli/sealops.js.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { adminKubeconfigPath, describeWithCluster, eventually } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { freePort } from '../cluster/process.js';
import { createNs, createSync, getSync, makeClusterKeys, secretValues, setUpAgent, type ClusterKeys } from './agent-harness.js';
import { configMap } from './agent-fixtures.js';
import { sealSops } from '../../src/formats/sops/index.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { SyncObject } from '../../src/agent/index.js';

const CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;
const KEYS = 500;

let client: KubeClient;
let agentNs: string;
let keys: ClusterKeys;
let repo: TestRepo;
let syncNs: string;
let appNs: string;
let workDir: string;
let agent: ChildProcess | undefined;
let stderr = '';

function startAgent(port: number, identity: string): ChildProcess {
  const child = spawn(
    process.execPath,
    [CLI, 'agent', '--kubeconfig', adminKubeconfigPath(), '--namespace', syncNs, '--agent-namespace', agentNs, '--work-dir', workDir, '--listen', String(port), '--lease-duration', '4', '--no-generate-keys'],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, POD_NAME: identity } },
  );
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  return child;
}

function condition(s: SyncObject | undefined, type: string): string | undefined {
  return s?.status?.conditions?.find((c) => c.type === type)?.status;
}

async function renewTime(): Promise<string | undefined> {
  const lease = await client.request<{ spec: { renewTime?: string; holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${agentNs}/leases/sealops-agent`).catch(() => undefined);
  return lease?.spec.renewTime;
}

describeWithCluster('the agent under a heavy repository', () => {
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`failed to find ${CLI}: run npm run build first`);
    keys = makeClusterKeys();
    ({ client, agentNs } = await setUpAgent(keys));
    syncNs = await createNs(client, 'alive');
    appNs = await createNs(client, 'alive-app');
    workDir = mkdtempSync(join(tmpdir(), 'sealops-alive-'));
    let secret = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: ${appNs}\nstringData:\n`;
    for (let i = 0; i < KEYS; i++) secret += `  key${i}: value-${i}-of-a-large-sealed-secret\n`;
    repo = createRepo();
    // About 1 MiB of plain YAML that is no manifest: every byte is parsed, nothing is applied.
    // Parsing it costs seconds of CPU (today superlinearly so), all of it synchronous.
    const noise: string[] = [];
    for (let i = 0, size = 0; size < 1024 * 1024; i++) {
      const line = `k${i}: [a, b, {c: d, e: f}]\n`;
      noise.push(line);
      size += line.length;
    }
    repo.commitFiles({ 'big.sops.yaml': await sealSops(secret, { recipients: [keys.ageRecipient], format: 'yaml' }), 'noise.yaml': noise.join('') }, 'a heavy repository');
  }, 300_000);

  afterAll(() => {
    agent?.kill('SIGKILL');
    repo?.cleanup();
    client?.close();
  });

  it('answers /healthz and renews its Lease while it parses and decrypts', async () => {
    const port = await freePort();
    agent = startAgent(port, 'alive-a');
    await createSync(client, syncNs, 'big', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, interval: '1h' });
    let healthyDuring = 0;
    const renewalsDuring = new Set<string>();
    let sawReconciling = false;
    for (;;) {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
      const renewed = await renewTime();
      const sync = await getSync(client, syncNs, 'big');
      if (condition(sync, 'Reconciling') === 'True') {
        sawReconciling = true;
        if (health === 200) healthyDuring++;
        if (renewed) renewalsDuring.add(renewed);
      }
      if (condition(sync, 'Ready') === 'True' || condition(sync, 'Ready') === 'False' || agent.exitCode !== null) break;
    }
    expect(stderr).not.toContain('value-1-of-a-large-sealed-secret');
    expect(condition(await getSync(client, syncNs, 'big'), 'Ready')).toBe('True');
    expect(sawReconciling).toBe(true);
    expect(healthyDuring).toBeGreaterThanOrEqual(1);
    // At least two different renewTimes seen while it worked: the Lease was renewed meanwhile.
    expect(renewalsDuring.size).toBeGreaterThanOrEqual(2);
    expect(Object.keys((await secretValues(client, appNs, 'big')) ?? {})).toHaveLength(KEYS);
  });

  it('on SIGTERM in the middle of an apply exits 0, releases its Lease, and the next agent converges', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`cm/${String(i).padStart(3, '0')}.yaml`] = configMap(appNs, `cm-${i}`, { i: String(i) });
    repo.commitFiles(files, 'many objects');
    await client.request('PATCH', `/apis/sealops.dev/v1alpha1/namespaces/${syncNs}/syncs/big`, { body: { spec: { interval: '2s' } }, contentType: 'application/merge-patch+json' });
    const owned = async (): Promise<number> =>
      (await client.request<{ items: unknown[] }>('GET', `/api/v1/namespaces/${appNs}/configmaps`, { query: { labelSelector: 'sealops.dev/name=big' } })).items.length;
    await eventually('the apply of the new commit to start', async () => ((await owned()) > 0 ? true : undefined), 120_000);
    const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
    agent!.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('agent stopped');
    const lease = await client.request<{ spec: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${agentNs}/leases/sealops-agent`);
    expect(lease.spec.holderIdentity ?? '').toBe('');

    agent = startAgent(await freePort(), 'alive-b');
    await eventually(
      'the next agent to converge',
      async () => {
        const s = await getSync(client, syncNs, 'big');
        return condition(s, 'Ready') === 'True' && s.status?.lastAppliedRevision === `main@sha1:${repo.head()}` && (await owned()) === 300 ? true : undefined;
      },
      180_000,
    );
  });
});
