// The cluster key set end to end: the real `sealops agent` process, running as a service account
// that holds only the Role of deploy/rbac.yaml in its namespace (plus the Sync rules of the
// shipped ClusterRole and, in the app namespace, the shipped apply rules), creates the keys
// Secret, publishes the public halves in a ConfigMap and on /v1/cert.pem and /v1/recipients;
// the real `sealops seal` CLI seals for what it published; a Sync applies the result. Also: an
// existing keys Secret is never modified, `--once` is read-only unless asked, and two replicas
// racing to create the Secret end up with one key set.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { adminKubeConfig, adminKubeconfigPath, createServiceAccount, describeWithCluster, eventually, type ServiceAccountAccess } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { peerPath } from '../support/peers.js';
import { adminClient, createNs, shippedRules, createSync, getSync, installSyncCrd, makeClusterKeys, secretValue, secretValues, stopAgent, storeKeys } from './agent-harness.js';
import { freePort } from '../cluster/process.js';
import { ensureClusterKeys, KubeClient, loadKubeConfig } from '../../src/index.js';

const CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;

let admin: KubeClient;
let sa: ServiceAccountAccess;
let agentNs: string;
let appNs: string;
let dir: string;
let repo: TestRepo;
let agent: ChildProcess | undefined;
let port: number;
let stderr = '';
const password = secretValue('keys-pw');
const token = secretValue('keys-tok');

function cli(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: cwd, ...env } });
}

async function getText(path: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

async function rawSecret(client: KubeClient, ns: string): Promise<{ metadata: { resourceVersion: string }; data: Record<string, string> }> {
  return client.request('GET', `/api/v1/namespaces/${ns}/secrets/sealops-keys`);
}

async function configMapData(ns: string): Promise<Record<string, string> | undefined> {
  try {
    return (await admin.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${ns}/configmaps/sealops-public-keys`)).data ?? {};
  } catch {
    return undefined;
  }
}

/** Every private string of a keys Secret, raw and base64, the way it could leak. */
function privateNeedles(entries: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [name, text] of Object.entries(entries)) {
    if (name.endsWith('.agekey')) out.push(...text.split('\n').filter((l) => l.startsWith('AGE-SECRET-KEY-')));
    if (name.endsWith('.pem')) out.push(...text.split('\n').filter((l) => /^[A-Za-z0-9+/=]{40,}$/.test(l)).slice(0, 5));
  }
  for (const n of [...out]) out.push(Buffer.from(n).toString('base64'));
  return out.filter(Boolean);
}

describeWithCluster('the agent makes and publishes the cluster key set', () => {
  beforeAll(async () => {
    admin = adminClient();
    await installSyncCrd(admin);
    agentNs = await createNs(admin, 'keys');
    appNs = await createNs(admin, 'keys-app');
    dir = mkdtempSync(join(tmpdir(), 'sealops-agent-keys-'));
    sa = await createServiceAccount(adminKubeConfig(), agentNs, 'sealops-agent', {
      // The helper waits for the first rule to take effect by asking without a name: put a
      // rule without resourceNames first.
      rules: shippedRules('Role', 'sealops-agent-keys').sort((x, y) => Number(Boolean(x.resourceNames)) - Number(Boolean(y.resourceNames))),
      clusterRules: shippedRules('ClusterRole', 'sealops-agent-syncs'),
    });
    // The shipped apply rules, granted in the app namespace only, so the agent namespace holds
    // nothing beyond the shipped Role.
    await admin.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${appNs}/roles`, {
      body: { metadata: { name: 'sealops-agent-apply' }, rules: shippedRules('ClusterRole', 'sealops-sync') },
    });
    await admin.request('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${appNs}/rolebindings`, {
      body: {
        metadata: { name: 'sealops-agent-apply' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sealops-agent-apply' },
        subjects: [{ kind: 'ServiceAccount', name: 'sealops-agent', namespace: agentNs }],
      },
    });
    repo = createRepo();
    port = await freePort();
    agent = spawn(
      process.execPath,
      [CLI, 'agent', '--kubeconfig', sa.kubeconfigPath, '--agent-namespace', agentNs, '--namespace', agentNs, '--listen', String(port), '--work-dir', join(dir, 'work')],
      { env: { PATH: process.env.PATH, HOME: dir, POD_NAME: 'agent-0' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    agent.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    // An RSA-4096 key takes a few seconds on a busy machine.
    await eventually('the agent to serve its certificate', async () => ((await getText('/v1/cert.pem').catch(() => undefined))?.status === 200 ? true : undefined), 90_000);
  }, 120_000);

  afterAll(async () => {
    await stopAgent(agent);
    admin?.close();
    repo?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('creates sealops-keys when absent and publishes its public halves in a ConfigMap and over HTTP', async () => {
    const entries = (await secretValues(admin, agentNs, 'sealops-keys'))!;
    expect(Object.keys(entries).sort()).toEqual(['cluster.agekey', 'cluster.crt', 'cluster.pem']);
    writeFileSync(join(dir, 'id.txt'), entries['cluster.agekey']!, { mode: 0o600 });
    const recipient = execFileSync(peerPath('age-keygen'), ['-y', join(dir, 'id.txt')], { encoding: 'utf8' }).trim();
    expect(entries['cluster.agekey']).toMatch(/^# created: \S+\n# public key: age1\S+\nAGE-SECRET-KEY-1\S+\n$/);
    const key = createPrivateKey(entries['cluster.pem']!);
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(4096);
    const cert = new X509Certificate(entries['cluster.crt']!);
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(createPublicKey(key).export({ type: 'spki', format: 'pem' }));

    const cm = await eventually('the public ConfigMap', () => configMapData(agentNs));
    expect(cm['recipients.txt']).toBe(`${recipient}\n`);
    expect(JSON.parse(cm['keysets.json']!)).toMatchObject([{ state: 'active', recipients: [recipient] }]);
    expect(new X509Certificate(cm['cert.pem']!).fingerprint256).toBe(cert.fingerprint256);

    const pem = await getText('/v1/cert.pem');
    expect(pem.type).toMatch(/^text\/plain/);
    expect(pem.text).toBe(cm['cert.pem']);
    const recipients = await getText('/v1/recipients');
    expect(recipients.status).toBe(200);
    expect(recipients.text).toBe(`${recipient}\n`);

    // A second replica, never leader while the first runs, serves the same public halves.
    const port2 = await freePort();
    const follower = spawn(
      process.execPath,
      [CLI, 'agent', '--kubeconfig', sa.kubeconfigPath, '--agent-namespace', agentNs, '--namespace', agentNs, '--listen', String(port2), '--work-dir', join(dir, 'work-1')],
      { env: { PATH: process.env.PATH, HOME: dir, POD_NAME: 'agent-1' }, stdio: 'ignore' },
    );
    try {
      const served = await eventually('the follower to serve the certificate', async () => {
        const res = await fetch(`http://127.0.0.1:${port2}/v1/cert.pem`).catch(() => undefined);
        return res?.status === 200 ? res.text() : undefined;
      });
      expect(served).toBe(cm['cert.pem']);
    } finally {
      const gone = new Promise((r) => follower.once('exit', r));
      follower.kill('SIGTERM');
      await gone;
    }
  });

  it('applies files sealed by the real CLI for the certificate URL and for the published recipient', async () => {
    const work = join(dir, 'seal');
    rmSync(work, { recursive: true, force: true });
    execFileSync('mkdir', ['-p', work]);
    writeFileSync(join(work, 'tok.yaml'), stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api-token', namespace: appNs }, stringData: { token } }));
    writeFileSync(join(work, 'db.yaml'), stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: appNs }, stringData: { password } }));
    const sealed = cli(['seal', '--cert', `http://127.0.0.1:${port}/v1/cert.pem`, 'tok.yaml'], work);
    expect(sealed).toContain('kind: SealedSecret');
    const recipient = (await getText('/v1/recipients')).text.trim();
    const sops = cli(['seal', '-r', recipient, 'db.yaml'], work);
    expect(sops).toContain(recipient);
    expect(sealed + sops).not.toContain(token);
    expect(sealed + sops).not.toContain(password);
    repo.commitFiles({ 'deploy/tok.yaml': sealed, 'deploy/db.yaml': sops }, 'sealed for the published keys');
    await createSync(admin, agentNs, 'app', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'deploy', interval: '1h' });
    const sync = await eventually('the Sync to reconcile', async () => {
      const s = await getSync(admin, agentNs, 'app');
      const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
      return ready && ready.status !== 'Unknown' ? s : undefined;
    });
    expect(sync.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True' });
    expect(await secretValues(admin, appNs, 'api-token')).toEqual({ token });
    expect(await secretValues(admin, appNs, 'db')).toEqual({ password });
  });

  it('never modifies an existing keys Secret: not on a second ensure by the agent, nor a key set made elsewhere', async () => {
    const client = new KubeClient(loadKubeConfig(sa.kubeconfigPath));
    try {
      const before = await rawSecret(admin, agentNs);
      const again = await ensureClusterKeys(client, agentNs, { generate: true });
      expect(again.created).toBe(false);
      expect(await rawSecret(admin, agentNs)).toEqual(before);
    } finally {
      client.close();
    }
    // A key set made with age-keygen (no .crt): `--once --generate-keys` publishes it as it is.
    const own = await createNs(admin, 'keys-own');
    const keys = makeClusterKeys();
    await storeKeys(admin, own, 'sealops-keys', keys);
    const before = await rawSecret(admin, own);
    cli(['agent', '--once', '--generate-keys', '--kubeconfig', adminKubeconfigPath(), '--agent-namespace', own, '--namespace', own], dir);
    expect(await rawSecret(admin, own)).toEqual(before);
    const published = (await configMapData(own))!;
    expect(Object.keys(published).sort()).toEqual(['cert.pem', 'keysets.json', 'recipients.txt']);
    expect(published['recipients.txt']).toBe(`${keys.ageRecipient}\n`);
    expect(published['cert.pem']).toBe('');
    expect(JSON.parse(published['keysets.json']!)).toMatchObject([{ state: 'active', recipients: [keys.ageRecipient], certificates: [] }]);
  });

  it('generates nothing with --once unless --generate-keys is given', async () => {
    const ns = await createNs(admin, 'keys-once');
    cli(['agent', '--once', '--kubeconfig', adminKubeconfigPath(), '--agent-namespace', ns, '--namespace', ns], dir);
    expect(await secretValues(admin, ns, 'sealops-keys')).toBeUndefined();
    expect(await configMapData(ns)).toBeUndefined();
  });

  it('ends with one key set when two replicas race to create it', async () => {
    const ns = await createNs(admin, 'keys-race');
    const [a, b] = await Promise.all([ensureClusterKeys(admin, ns, { generate: true, rsaBits: 2048 }), ensureClusterKeys(admin, ns, { generate: true, rsaBits: 2048 })]);
    expect([a.created, b.created].sort()).toEqual([false, true]);
    expect(a.recipients).toEqual(b.recipients);
    expect(a.certificates).toEqual(b.certificates);
    const stored = (await secretValues(admin, ns, 'sealops-keys'))!;
    expect(stored['cluster.agekey']).toContain(`# public key: ${a.recipients[0]}`);
  });

  it('fails with a clear error naming the Secret, and no key byte, when RBAC forbids creating it', async () => {
    const ns = await createNs(admin, 'keys-denied');
    const denied = await createServiceAccount(adminKubeConfig(), ns, 'reader', {
      rules: [
        { apiGroups: [''], resources: ['configmaps'], verbs: ['get'] },
        { apiGroups: [''], resources: ['secrets'], resourceNames: ['sealops-keys'], verbs: ['get'] },
        { apiGroups: [''], resources: ['secrets'], verbs: ['list'] },
      ],
    });
    const client = new KubeClient(loadKubeConfig(denied.kubeconfigPath));
    try {
      const err = await ensureClusterKeys(client, ns, { generate: true, rsaBits: 2048 }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(err?.message).toMatch(new RegExp(`^failed to create secret ${ns}/sealops-keys: Forbidden \\(HTTP 403\\)`));
      expect(err?.code).toBe('KUBE');
      expect(err?.message).not.toMatch(/AGE-SECRET-KEY|PRIVATE KEY/);
      expect(await secretValues(admin, ns, 'sealops-keys')).toBeUndefined();
    } finally {
      client.close();
    }
  });

  it('puts no private key byte in the agent logs, the ConfigMap or the HTTP answers', async () => {
    const entries = (await secretValues(admin, agentNs, 'sealops-keys'))!;
    const needles = privateNeedles(entries);
    expect(needles.length).toBeGreaterThan(4);
    const published = JSON.stringify(await configMapData(agentNs)) + (await getText('/v1/cert.pem')).text + (await getText('/v1/recipients')).text;
    // Stop the agent so its whole log is in.
    const exited = new Promise((r) => agent!.once('exit', r));
    agent!.kill('SIGTERM');
    await exited;
    expect(stderr).toContain('generated the cluster key set');
    for (const text of [published, stderr]) {
      expect(text).not.toContain('PRIVATE KEY');
      for (const n of needles) expect(text).not.toContain(n);
    }
  });
});
