// The agent end to end, against the real control plane and real git servers (file://, smart
// HTTP with a token, SSH with a deploy key): sync, change one value, prune, revert, tampering,
// an invalid object, the mass-deletion guard, and no secret byte in logs, status or events.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { readFileSync } from 'node:fs';
import { describeWithCluster } from '../support/kube.js';
import { createRepo, serveFile, serveHttp, serveSsh, git, type TestRepo, type GitServer } from '../support/git-servers.js';
import {
  AgentRunner,
  createNs,
  createSync,
  exists,
  getSync,
  patchSyncSpec,
  makeClusterKeys,
  publishedText,
  secretValue,
  secretValues,
  setUpAgent,
  type ClusterKeys,
} from './agent-harness.js';
import { configMap, deployment, makeFixture, sealedFile, sopsFile, type Fixture } from './agent-fixtures.js';
import type { KubeClient } from '../../src/kube/client.js';

type Transport = 'file' | 'http' | 'ssh';

let client: KubeClient;
let agentNs: string;
let keys: ClusterKeys;

beforeAll(async () => {
  keys = makeClusterKeys();
  ({ client, agentNs } = await setUpAgent(keys));
});
afterAll(() => client?.close());

async function serve(transport: Transport, repo: TestRepo, syncNs: string): Promise<{ server: GitServer; source: Record<string, unknown> }> {
  if (transport === 'file') return { server: serveFile(repo.bareDir), source: {} };
  if (transport === 'http') {
    const server = await serveHttp(repo.bareDir);
    await client.request('POST', `/api/v1/namespaces/${syncNs}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-auth' }, stringData: { username: server.username, password: server.token } },
    });
    return { server, source: { secretRef: { name: 'git-auth' } } };
  }
  const server = await serveSsh(repo.bareDir);
  await client.request('POST', `/api/v1/namespaces/${syncNs}/secrets`, {
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'git-auth' },
      stringData: { identity: readFileSync(server.privateKeyPath, 'utf8'), known_hosts: readFileSync(server.knownHostsPath, 'utf8') },
    },
  });
  return { server, source: { secretRef: { name: 'git-auth' } } };
}

for (const transport of ['file', 'http', 'ssh'] as const) {
  describeWithCluster(`the agent over ${transport}`, () => {
    let repo: TestRepo;
    let server: GitServer;
    let runner: AgentRunner;
    let syncNs: string;
    let fx: Fixture;
    const secrets: string[] = [];
    const name = 'apps';

    beforeAll(async () => {
      syncNs = await createNs(client, `sync-${transport}`);
      repo = createRepo();
      const served = await serve(transport, repo, syncNs);
      server = served.server;
      const appNs = `app-${transport}-${syncNs.slice(-8)}`;
      fx = makeFixture(appNs, keys, { sopsPassword: secretValue('sops-pw'), sealedToken: secretValue('sealed-tok') }, true);
      secrets.push(fx.sopsPassword, fx.sealedToken, keys.ageIdentity.split('\n').find((l) => l.startsWith('AGE-SECRET'))!);
      repo.commitFiles(fx.files, 'initial');
      await createSync(client, syncNs, name, { source: { url: server.url, ref: { branch: 'main' }, ...served.source }, path: 'deploy', interval: '1m' });
      runner = new AgentRunner(client, agentNs);
    });
    afterAll(async () => {
      await server?.stop();
      repo?.cleanup();
      runner?.cleanup();
    });

    const cmPath = (n: string): string => `/api/v1/namespaces/${fx.appNs}/configmaps/${n}`;

    it('applies every object of the repository and unseals both Secrets to their original values', async () => {
      const outcome = await runner.reconcile(syncNs, name);
      expect(outcome.reason).toBe('ReconciliationSucceeded');
      expect(outcome.counts).toMatchObject({ created: 7, configured: 0, deleted: 0 });
      expect(await secretValues(client, fx.appNs, 'db')).toEqual({ password: fx.sopsPassword, user: 'app' });
      expect(await secretValues(client, fx.appNs, 'api-token')).toEqual({ token: fx.sealedToken });
      expect(await exists(client, cmPath('settings'))).toBe(true);
      expect(await exists(client, `/apis/apps/v1/namespaces/${fx.appNs}/deployments/web`)).toBe(true);
      expect(await exists(client, `/apis/${fx.group}/v1/namespaces/${fx.appNs}/widgets/w1`)).toBe(true);
      const sync = await getSync(client, syncNs, name);
      const ready = sync.status?.conditions?.find((c) => c.type === 'Ready');
      expect(ready?.status).toBe('True');
      expect(sync.status?.lastAppliedRevision).toBe(`main@sha1:${repo.head()}`);
      expect(sync.status?.observedGeneration).toBe(sync.metadata.generation);
      expect(sync.status?.inventory?.entries).toHaveLength(7);
      const events = await client.request<{ items: { note?: string; reason?: string }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${syncNs}/events`);
      expect(events.items.some((e) => e.note?.includes('7 created, 0 configured, 0 deleted'))).toBe(true);
    });

    it('writes nothing on a resync of the same commit', async () => {
      const outcome = await runner.reconcile(syncNs, name);
      expect(outcome.counts).toMatchObject({ created: 0, configured: 0, unchanged: 7, deleted: 0 });
    });

    it('updates only the Secret whose sealed value changed in a later commit', async () => {
      const before = await client.request<{ metadata: { resourceVersion: string } }>('GET', cmPath('settings'));
      const db = await client.request<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${fx.appNs}/secrets/db`);
      const newToken = secretValue('sealed-tok2');
      secrets.push(newToken);
      repo.commitFiles({ 'deploy/sealed.yaml': sealedFile(fx.appNs, newToken, keys) }, 'rotate token');
      const outcome = await runner.reconcile(syncNs, name);
      expect(outcome.counts).toMatchObject({ created: 0, configured: 1, deleted: 0 });
      expect(await secretValues(client, fx.appNs, 'api-token')).toEqual({ token: newToken });
      const after = await client.request<{ metadata: { resourceVersion: string } }>('GET', cmPath('settings'));
      const dbAfter = await client.request<{ metadata: { resourceVersion: string } }>('GET', `/api/v1/namespaces/${fx.appNs}/secrets/db`);
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(dbAfter.metadata.resourceVersion).toBe(db.metadata.resourceVersion);
    });

    it('prunes the object of a removed file, and git revert brings it back', async () => {
      repo.commitFiles({ 'deploy/config.yaml': null }, 'drop config');
      const removed = await runner.reconcile(syncNs, name);
      expect(removed.counts).toMatchObject({ deleted: 1 });
      expect(await exists(client, cmPath('settings'))).toBe(false);
      git(repo.workDir, ['revert', '--no-edit', 'HEAD']);
      git(repo.workDir, ['push', '--quiet', 'origin', 'HEAD:refs/heads/main']);
      const restored = await runner.reconcile(syncNs, name);
      expect(restored.counts).toMatchObject({ created: 1, deleted: 0 });
      expect(await exists(client, cmPath('settings'))).toBe(true);
      expect((await getSync(client, syncNs, name)).status?.lastAppliedRevision).toBe(`main@sha1:${repo.head()}`);
    });

    it('keeps the old Secret and reports not Ready when a sealed value was tampered with', async () => {
      const good = readFileSync(`${repo.workDir}/deploy/db.sops.yaml`, 'utf8');
      // Flip one character inside the ciphertext of the password.
      const tampered = good.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`);
      expect(tampered).not.toBe(good);
      const lastGood = (await getSync(client, syncNs, name)).status?.lastAppliedRevision;
      repo.commitFiles({ 'deploy/db.sops.yaml': tampered, 'deploy/extra.yaml': configMap(fx.appNs, 'extra', { a: 'b' }) }, 'tamper');
      const outcome = await runner.reconcile(syncNs, name);
      expect(outcome.ok).toBe(false);
      expect(outcome.reason).toBe('DecryptionFailed');
      expect(outcome.message).toContain('deploy/db.sops.yaml');
      expect(await secretValues(client, fx.appNs, 'db')).toEqual({ password: fx.sopsPassword, user: 'app' });
      expect(await exists(client, cmPath('extra'))).toBe(false);
      const sync = await getSync(client, syncNs, name);
      expect(sync.status?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'DecryptionFailed' });
      expect(sync.status?.lastAppliedRevision).toBe(lastGood);
      expect(sync.status?.lastAttemptedRevision).toBe(`main@sha1:${repo.head()}`);
      repo.commitFiles({ 'deploy/db.sops.yaml': good, 'deploy/extra.yaml': null }, 'untamper');
    });

    it('applies nothing when one object is invalid', async () => {
      const broken = stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'broken', namespace: fx.appNs }, spec: { replicas: 'many' } });
      repo.commitFiles({ 'deploy/new.yaml': configMap(fx.appNs, 'newcomer', { a: 'b' }), 'deploy/zz-broken.yaml': broken }, 'invalid');
      const outcome = await runner.reconcile(syncNs, name);
      expect(outcome.reason).toBe('ApplyFailed');
      expect(outcome.message).toContain('Deployment');
      expect(outcome.message).toContain('broken');
      expect(await exists(client, cmPath('newcomer'))).toBe(false);
      repo.commitFiles({ 'deploy/zz-broken.yaml': null, 'deploy/new.yaml': null }, 'fix');
      expect((await runner.reconcile(syncNs, name)).ok).toBe(true);
    });

    it('refuses to delete most of the inventory at once unless the Sync allows it', async () => {
      repo.commitFiles({ 'deploy/config.yaml': null, 'deploy/app.yml': null, 'deploy/sealed.yaml': null, 'deploy/widget.yaml': null }, 'mass delete');
      const outcome = await runner.reconcile(syncNs, name);
      expect(outcome.reason).toBe('PruneBlocked');
      expect(await exists(client, cmPath('settings'))).toBe(true);
      expect(await exists(client, `/apis/apps/v1/namespaces/${fx.appNs}/deployments/web`)).toBe(true);
      expect((await getSync(client, syncNs, name)).status?.inventory?.entries).toHaveLength(7);
      // Restoring the files makes the Sync Ready again without deleting anything.
      repo.commitFiles({ 'deploy/config.yaml': fx.files['deploy/config.yaml']!, 'deploy/app.yml': deployment(fx.appNs, 'web'), 'deploy/sealed.yaml': sealedFile(fx.appNs, fx.sealedToken, keys), 'deploy/widget.yaml': fx.files['deploy/widget.yaml']! }, 'restore');
      const back = await runner.reconcile(syncNs, name);
      expect(back.ok).toBe(true);
      expect(back.counts?.deleted).toBe(0);
    });

    it('restores an object edited by hand in the cluster (drift) on the next reconcile', async () => {
      await client.request('PATCH', cmPath('settings'), { body: { data: { mode: 'debug' } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'kubectl-edit' } });
      const outcome = await runner.reconcile(syncNs, name);
      expect(outcome.counts).toMatchObject({ configured: 1, created: 0, deleted: 0 });
      const cm = await client.request<{ data: Record<string, string> }>('GET', cmPath('settings'));
      expect(cm.data.mode).toBe('production');
    });

    it('applies nothing while the Sync is suspended', async () => {
      await patchSyncSpec(client, syncNs, name, { suspend: true });
      repo.commitFiles({ 'deploy/later.yaml': configMap(fx.appNs, 'later', { a: 'b' }) }, 'while suspended');
      const outcome = await runner.reconcile(syncNs, name);
      expect(outcome.suspended).toBe(true);
      expect(await exists(client, cmPath('later'))).toBe(false);
      await patchSyncSpec(client, syncNs, name, { suspend: false });
      expect((await runner.reconcile(syncNs, name)).counts).toMatchObject({ created: 1 });
      expect(await exists(client, cmPath('later'))).toBe(true);
    });

    it('never prints, stores or reports a secret value', async () => {
      const published = await publishedText(client, syncNs, name);
      const logs = runner.logs.join('');
      expect(runner.logs.length).toBeGreaterThan(5);
      for (const s of secrets) {
        expect(logs).not.toContain(s);
        expect(published).not.toContain(s);
        expect(logs).not.toContain(Buffer.from(s).toString('base64'));
        expect(published).not.toContain(Buffer.from(s).toString('base64'));
      }
    });
  });
}

void sopsFile;
