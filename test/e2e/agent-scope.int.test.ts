// Scope attacks on SOPS Secrets against the agent on the real control plane, by a writer of the
// repository without keys: each reconcile fails with DecryptionFailed, nothing is applied, and
// no value reaches the status or the logs. A Secret sealed by plain sops applies only where the
// Sync sets spec.decryption.allowUnbound.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { adminKubeconfigPath, describeWithCluster } from '../support/kube.js';
import { createRepo, type TestRepo } from '../support/git-servers.js';
import { createNs, createSync, exists, getSync, makeClusterKeys, patchSyncSpec, setUpAgent, sopsSeal, type ClusterKeys } from './agent-harness.js';
import { run } from '../cli/helpers.js';
import type { KubeClient } from '../../src/index.js';
import { sealSops } from '../../src/formats/sops/index.js';

const PASSWORD = 'scope-bound-password-0451';
let client: KubeClient;
let keys: ClusterKeys;
let agentNs: string;
let syncNs: string;
let appNs: string;
let repo: TestRepo;
let workDir: string;
const logs: string[] = [];

async function agentOnce(): Promise<number> {
  const r = await run(['agent', '--once', '--kubeconfig', adminKubeconfigPath(), '--namespace', syncNs, '--agent-namespace', agentNs, '--work-dir', workDir], { cwd: process.cwd() });
  logs.push(r.stdout, r.stderr);
  return r.status;
}

async function ready(): Promise<{ status?: string; reason?: string; message?: string }> {
  const c = (await getSync(client, syncNs, 'app')).status?.conditions?.find((x) => x.type === 'Ready');
  return { status: c?.status, reason: c?.reason, message: c?.message };
}

describeWithCluster('the agent and the scope binding of SOPS Secrets', () => {
  let sealed: string;
  beforeAll(async () => {
    keys = makeClusterKeys();
    ({ client, agentNs } = await setUpAgent(keys));
    syncNs = await createNs(client, 'scope');
    appNs = await createNs(client, 'scope-app');
    workDir = mkdtempSync(join(tmpdir(), 'sealops-agent-scope-'));
    repo = createRepo();
    sealed = sopsSeal({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'payments', namespace: appNs }, stringData: { password: PASSWORD } }, keys.ageRecipient);
    repo.commitFiles({ 'deploy/db.yaml': sealed }, 'bound secret');
    await createSync(client, syncNs, 'app', { source: { url: `file://${repo.bareDir}`, ref: { branch: 'main' } }, path: 'deploy' });
  });
  afterAll(() => {
    repo?.cleanup();
    client?.close();
  });

  const attacks: [string, (s: string) => string][] = [
    ['renames the namespace key', (s) => s.replace(/\n {4}namespace: /, '\n    nspace: ')],
    ['wraps the namespace under labels', (s) => s.replace(/\n {4}namespace: (\S+)/, '\n    labels:\n        namespace: $1')],
    ['swaps the names of name: and namespace:', (s) => s.replace(/\n {4}name: (\S+)\n {4}namespace: (\S+)/, '\n    namespace: $1\n    name: $2')],
    ['deletes the scope annotation', (s) => s.replace(/\n {4}annotations:\n {8}sealops\.dev\/scope: ENC\[[^\]]*\]/, '')],
  ];

  it('applies the bound Secret where it was sealed for', async () => {
    expect(sealed).toMatch(/sealops\.dev\/scope: ENC\[AES256_GCM,/);
    expect(await agentOnce(), JSON.stringify(await ready()) + logs.join('\n')).toBe(0);
    expect(await exists(client, `/api/v1/namespaces/${appNs}/secrets/payments`)).toBe(true);
    // The binding is an annotation of the file, not of the applied Secret.
    const live = await client.request<{ metadata: { annotations?: Record<string, string> } }>('GET', `/api/v1/namespaces/${appNs}/secrets/payments`);
    expect(live.metadata.annotations?.['sealops.dev/scope']).toBeUndefined();
  });

  for (const [what, attack] of attacks) {
    it(`fails the reconcile and applies nothing when a writer ${what}`, async () => {
      const attacked = attack(sealed);
      expect(attacked).not.toBe(sealed);
      repo.commitFiles({ 'deploy/db.yaml': attacked }, what);
      expect(await agentOnce()).toBe(1);
      const r = await ready();
      expect(r).toMatchObject({ status: 'False', reason: 'DecryptionFailed' });
      expect((await getSync(client, syncNs, 'app')).status?.lastAppliedRevision).not.toContain(repo.head());
      expect(JSON.stringify(await getSync(client, syncNs, 'app'))).not.toContain(PASSWORD);
      expect(logs.join('\n')).not.toContain(PASSWORD);
    });
  }

  it('fails the reconcile when a writer moves the binding of one document of a file to another', async () => {
    const two = ['orders', 'ledger'].map((name) => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: ${name}\n  namespace: ${appNs}\nstringData:\n  password: ${PASSWORD}-${name}\n`).join('---\n');
    const bound = await sealSops(two, { recipients: [keys.ageRecipient], source: 'two.yaml' });
    const [first = '', second = ''] = bound.split('\n---\n');
    const ann = / {2}annotations:\n {4}sealops\.dev\/scope: "ENC\[[^\]]*\]"\n/;
    const moved = `${first.replace(ann, '')}\n---\n${second.replace(ann, ann.exec(first)?.[0] ?? '')}`;
    expect(moved).not.toBe(bound);
    repo.commitFiles({ 'deploy/db.yaml': sealed, 'deploy/two.yaml': moved }, 'moved binding');
    expect(await agentOnce()).toBe(1);
    const r = await ready();
    expect(r, r.message).toMatchObject({ status: 'False', reason: 'DecryptionFailed' });
    expect(await exists(client, `/api/v1/namespaces/${appNs}/secrets/ledger`)).toBe(false);
    expect(logs.join('\n')).not.toContain(PASSWORD);
    repo.commitFiles({ 'deploy/two.yaml': null }, 'drop it');
  });

  it('refuses a Secret sealed by plain sops until the Sync allows unbound files, then applies it with a warning', async () => {
    const plain = sopsSeal({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'legacy', namespace: appNs }, stringData: { password: PASSWORD } }, keys.ageRecipient, { bind: false });
    repo.commitFiles({ 'deploy/db.yaml': sealed, 'deploy/legacy.yaml': plain }, 'unbound secret');
    expect(await agentOnce()).toBe(1);
    expect(await ready()).toMatchObject({ status: 'False', reason: 'DecryptionFailed', message: expect.stringMatching(/legacy\.yaml.*no sealops\.dev\/scope binding/) as unknown });
    expect(await exists(client, `/api/v1/namespaces/${appNs}/secrets/legacy`)).toBe(false);
    await patchSyncSpec(client, syncNs, 'app', { decryption: { allowUnbound: true } });
    logs.length = 0;
    expect(await agentOnce()).toBe(0);
    expect(await exists(client, `/api/v1/namespaces/${appNs}/secrets/legacy`)).toBe(true);
    expect(logs.join('\n')).toMatch(/accepted unbound Secret deploy\/legacy\.yaml/);
    expect(logs.join('\n')).not.toContain(PASSWORD);
  });
});
