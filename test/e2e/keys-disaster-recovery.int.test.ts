// The README's disaster-recovery runbook, step by step, on control planes of its own (the run's
// shared one is left alone): a repository sealed for a cluster whose agent made the keys; a
// backup; the control plane stopped and its etcd data deleted; a fresh control plane; the keys
// restored before the agent starts; the CRD and the agent installed; the same Sync re-created.
// The agent unseals and applies the old repository unchanged, and generates no key.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describeWithCluster, eventually } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { ageKeygen } from '../support/age-keygen.js';
import { startControlPlane, type ControlPlane } from '../cluster/control-plane.js';
import { createSync, installSyncCrd, secretValue, secretValues, stopAgent } from './agent-harness.js';
import { KubeClient, loadKubeConfig } from '../../src/index.js';

const CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;
const AGENT_NS = 'sealops-system';
const APP_NS = 'payments';

let dir: string;
let repo: TestRepo;
let cp: ControlPlane | undefined;
let agent: ChildProcess | undefined;
const logs: string[] = [];

function cli(args: string[], kubeconfig: string | undefined, input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args, ...(kubeconfig ? ['--kubeconfig', kubeconfig] : [])], { cwd: join(dir, 'repo'), input, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
  logs.push(r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `sealops agent` against `cp`, as the Deployment runs it. */
function startAgent(plane: ControlPlane): ChildProcess {
  const child = spawn(
    process.execPath,
    [CLI, 'agent', '--kubeconfig', plane.kubeconfigPath, '--agent-namespace', AGENT_NS, '--namespace', APP_NS, '--listen', '0', '--work-dir', join(dir, `work-${Date.now()}`), '--key-check-interval', '0.5', '--lease-duration', '4'],
    { env: { PATH: process.env.PATH, HOME: dir, POD_NAME: 'sealops-agent-0' }, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  child.stderr.setEncoding('utf8').on('data', (c: string) => logs.push(c));
  return child;
}

async function keySetFingerprints(client: KubeClient): Promise<string[]> {
  const list = await client.request<{ items: { metadata: { labels?: Record<string, string> } }[] }>('GET', `/api/v1/namespaces/${AGENT_NS}/secrets`, { query: { labelSelector: 'sealops.dev/key-set=true' } });
  return list.items.map((s) => s.metadata.labels?.['sealops.dev/fingerprint'] ?? '').sort();
}

async function namespace(client: KubeClient, name: string): Promise<void> {
  await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } } }).catch(() => undefined);
}

const password = secretValue('dr-db');
const token = secretValue('dr-tok');
const syncSpec = (): Record<string, unknown> => ({ source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'deploy', interval: '2s' });

describeWithCluster('disaster recovery: the README runbook on a lost control plane', () => {
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sealops-dr-'));
    mkdirSync(join(dir, 'repo'));
    repo = createRepo();
  });

  afterAll(async () => {
    await stopAgent(agent);
    await cp?.stop();
    repo?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('restores the keys into a fresh control plane, and the agent applies the old repository unchanged', async () => {
    // Before: a cluster whose agent made its keys, and a repository sealed for them.
    cp = await startControlPlane({ controllerManager: false });
    let client = new KubeClient(loadKubeConfig(cp.kubeconfigPath));
    await installSyncCrd(client);
    await namespace(client, AGENT_NS);
    await namespace(client, APP_NS);
    agent = startAgent(cp);
    const original = await eventually('the first key set', async () => {
      const fps = await keySetFingerprints(client);
      return fps.length === 1 ? fps : undefined;
    }, 120_000);
    writeFileSync(join(dir, 'repo', '.sealops.yaml'), 'clusters: {}\nrules:\n  - path: "**"\n    clusters: [prod]\n');
    expect(cli(['keys', 'fetch', '--cluster', 'prod', '--namespace', AGENT_NS], cp.kubeconfigPath).status).toBe(0);
    const secret = (name: string, key: string, value: string): string => stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: APP_NS }, stringData: { [key]: value } });
    writeFileSync(join(dir, 'repo', 'db.yaml'), secret('db', 'password', password));
    writeFileSync(join(dir, 'repo', 'tok.yaml'), secret('tok', 'token', token));
    const db = cli(['seal', 'db.yaml'], undefined);
    const tok = cli(['seal', '--format', 'sealedsecret', 'tok.yaml'], undefined);
    expect([db.status, tok.status]).toEqual([0, 0]);
    repo.commitFiles({ 'deploy/db.yaml': db.stdout, 'deploy/tok.yaml': tok.stdout }, 'sealed for prod');
    const head = repo.head();
    await createSync(client, APP_NS, 'payments', syncSpec());
    expect(await eventually('the Secrets applied', async () => (await secretValues(client, APP_NS, 'tok')) && secretValues(client, APP_NS, 'db'), 90_000)).toEqual({ password });

    // 1. The backup, to the administrator's recipient.
    const adminKey = ageKeygen();
    writeFileSync(join(dir, 'admin.txt'), adminKey.file, { mode: 0o600 });
    const backup = cli(['keys', 'backup', '--to', adminKey.recipient, '--namespace', AGENT_NS], cp.kubeconfigPath);
    expect(backup.status).toBe(0);

    // The disaster: the control plane stops and its etcd data is deleted.
    await stopAgent(agent);
    client.close();
    const lostDir = cp.dir;
    await cp.stop();
    cp = undefined;
    expect(existsSync(lostDir)).toBe(false);

    // 2. A fresh control plane: empty etcd.
    cp = await startControlPlane({ controllerManager: false });
    client = new KubeClient(loadKubeConfig(cp.kubeconfigPath));
    expect(await client.request('GET', `/api/v1/namespaces/${AGENT_NS}`).then(() => true, () => false)).toBe(false);

    // 3. Restore the keys before the agent starts (the namespace is created).
    const restored = cli(['keys', 'restore', '-k', join(dir, 'admin.txt'), '--namespace', AGENT_NS], cp.kubeconfigPath, backup.stdout);
    expect(restored.stderr).toContain(`restored key set ${original[0]}`);
    expect(restored.status).toBe(0);
    expect(await keySetFingerprints(client)).toEqual(original);

    // 4. The CRD and the agent.
    await installSyncCrd(client);
    await namespace(client, APP_NS);
    agent = startAgent(cp);

    // 5. The same Sync, 6. the old repository applied unchanged.
    await createSync(client, APP_NS, 'payments', syncSpec());
    expect(await eventually('the Secrets applied again', async () => (await secretValues(client, APP_NS, 'db')) && secretValues(client, APP_NS, 'tok'), 90_000)).toEqual({ token });
    expect(await secretValues(client, APP_NS, 'db')).toEqual({ password });
    expect(repo.head()).toBe(head);
    const published = await eventually('the restored set published', async () => {
      const cm = await client.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${AGENT_NS}/configmaps/sealops-public-keys`).catch(() => undefined);
      return cm?.data?.['keysets.json'];
    });
    expect((JSON.parse(published) as { fingerprint: string }[]).map((k) => k.fingerprint)).toEqual(original);
    expect(await keySetFingerprints(client)).toEqual(original);
    client.close();

    const all = logs.join('');
    // Made once, by the first cluster's agent: the restored cluster's agent generated nothing.
    expect(all.match(/generated the cluster key set/g)).toHaveLength(1);
    expect(all).not.toContain(password);
    expect(all).not.toContain(token);
    expect(all).not.toMatch(/AGE-SECRET-KEY-1|PRIVATE KEY/);
    expect(readFileSync(join(dir, 'repo', '.sealops.yaml'), 'utf8')).not.toMatch(/AGE-SECRET-KEY-1|PRIVATE KEY/);
  }, 600_000);
});
