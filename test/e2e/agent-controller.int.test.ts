// The long-running agent: deploy/ (Namespace, CRD, RBAC) applied as written, the Controller
// running as the `sealops-agent` ServiceAccount with a real minted token (so the RBAC in
// deploy/rbac.yaml is proven sufficient), reacting to a new Sync, a spec change and a failure
// with backoff, and serving /healthz, /readyz and /metrics.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { parseAllDocuments } from 'yaml';
import { adminKubeConfig, describeWithCluster, eventually, mintToken, tokenKubeConfig } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { adminClient, createNs, createSync, getSync, makeClusterKeys, patchSyncSpec, secretValue, secretValues, storeKeys, exists } from './agent-harness.js';
import { configMap, sealedFile } from './agent-fixtures.js';
import { createHmac } from 'node:crypto';
import { AgentMetrics, LeaderElector, normalizeRepoUrl, Controller, Discovery, KubeClient, Logger, loadKubeConfig, resourcePath, startHealthServer, type SyncObject } from '../../src/index.js';

let admin: KubeClient;
let agent: KubeClient;
let controller: Controller;
let server: Server;
let repo: TestRepo;
let syncNs: string;
let appNs: string;
let dir: string;
const logs: string[] = [];
const token = secretValue('ctl-token');
const metrics = new AgentMetrics({ apiRequests: () => agent.requests });
const hookSecret = 'webhook-shared-secret';

async function applyFile(client: KubeClient, file: string): Promise<void> {
  const discovery = new Discovery(client);
  for (const doc of parseAllDocuments(readFileSync(new URL(`../../deploy/${file}`, import.meta.url), 'utf8'))) {
    const obj = doc.toJS() as { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } };
    const info = (await discovery.resolve(obj.apiVersion, obj.kind))!;
    await client.request('PATCH', resourcePath(info, obj.metadata.namespace, obj.metadata.name), {
      body: obj,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'sealops-test', force: 'true' },
    });
  }
}

function readyOf(s: SyncObject): { status?: string; reason?: string } {
  const c = s.status?.conditions?.find((x) => x.type === 'Ready');
  return { status: c?.status, reason: c?.reason };
}

describeWithCluster('the long-running agent under deploy/rbac.yaml', () => {
  beforeAll(async () => {
    admin = adminClient();
    for (const f of ['namespace.yaml', 'crd-sync.yaml', 'rbac.yaml', 'deployment.yaml']) await applyFile(admin, f);
    // deploy/ gives the agent no rights on what Syncs apply: each Sync runs as a ServiceAccount of
    // its namespace. These Syncs name none and the controller runs without a default, so the agent
    // applies as itself and holds sealops-sync cluster-wide (the README's non-tenant mode).
    await admin.request('PATCH', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/sealops-agent-as-sync', {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'sealops-agent-as-sync' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'sealops-sync' },
        subjects: [{ kind: 'ServiceAccount', name: 'sealops-agent', namespace: 'sealops-system' }],
      },
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: 'sealops-test', force: 'true' },
    });
    await eventually('Syncs to be served', async () => (await admin.request('GET', '/apis/sealops.dev/v1alpha1/syncs')) ?? undefined);
    const keys = makeClusterKeys();
    await admin.request('DELETE', '/api/v1/namespaces/sealops-system/secrets/sealops-keys').catch(() => undefined);
    await storeKeys(admin, 'sealops-system', 'sealops-keys', keys);
    dir = mkdtempSync(join(tmpdir(), 'sealops-ctl-'));
    const kc = adminKubeConfig();
    const saToken = await mintToken(kc, 'sealops-system', 'sealops-agent');
    writeFileSync(join(dir, 'kubeconfig'), tokenKubeConfig(kc, 'sealops-agent', saToken).exportConfig(), { mode: 0o600 });
    agent = new KubeClient(loadKubeConfig(join(dir, 'kubeconfig')));
    syncNs = await createNs(admin, 'ctl');
    appNs = await createNs(admin, 'ctl-app');
    repo = createRepo();
    repo.commitFiles({ 'v1/cm.yaml': configMap(appNs, 'one', { v: '1' }), 'v1/tok.yaml': sealedFile(appNs, token, keys), 'v2/cm.yaml': configMap(appNs, 'two', { v: '2' }) }, 'initial');
    controller = new Controller({
      client: agent,
      log: new Logger((l) => logs.push(l)),
      agentNamespace: 'sealops-system',
      namespace: syncNs,
      workRoot: join(dir, 'work'),
      backoffBaseMs: 200,
      onOutcome: (s, o, ms) => metrics.observe(`${s.metadata.namespace}/${s.metadata.name}`, o.reason, o.ok, ms),
    });
    server = await startHealthServer({
      port: 0,
      host: '127.0.0.1',
      isReady: () => controller.ready,
      metrics,
      webhook: { secret: Buffer.from(hookSecret), onPush: (urls) => controller.trigger(urls, normalizeRepoUrl) },
    });
    controller.start();
  });
  afterAll(async () => {
    await controller?.stop();
    server?.close();
    agent?.close();
    admin?.close();
    repo?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reconciles a new Sync as soon as it is created, unsealing with the keys in its own namespace', async () => {
    await createSync(admin, syncNs, 'app', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'v1', interval: '1h' });
    const sync = await eventually('the Sync to be Ready', async () => {
      const s = await getSync(admin, syncNs, 'app');
      return readyOf(s).status === 'True' ? s : undefined;
    });
    expect(sync.status?.lastAppliedRevision).toBe(`main@sha1:${repo.head()}`);
    expect(await secretValues(admin, appNs, 'tok')).toBeUndefined();
    expect(await exists(admin, `/api/v1/namespaces/${appNs}/configmaps/one`)).toBe(true);
    expect(await secretValues(admin, appNs, 'api-token')).toEqual({ token });
  });

  it('reconciles again when the spec changes, long before the interval', async () => {
    // Leaving v1 deletes 2 of 2 objects, beyond the default 50% guard: allow it explicitly.
    await patchSyncSpec(admin, syncNs, 'app', { path: 'v2', deletionGuard: { allowMassDeletion: true } });
    await eventually('the v2 ConfigMap', async () => ((await exists(admin, `/api/v1/namespaces/${appNs}/configmaps/two`)) ? true : undefined));
    const s = await eventually('observedGeneration to catch up', async () => {
      const x = await getSync(admin, syncNs, 'app');
      return x.status?.observedGeneration === x.metadata.generation && readyOf(x).status === 'True' ? x : undefined;
    });
    expect(s.status?.inventory?.entries.map((e) => e.id)).toEqual([`${appNs}_two__ConfigMap`]);
    expect(await exists(admin, `/api/v1/namespaces/${appNs}/configmaps/one`)).toBe(false);
    expect(await secretValues(admin, appNs, 'api-token')).toBeUndefined();
  });

  it('reports a failing source, retries with backoff, and recovers when it is fixed', async () => {
    await patchSyncSpec(admin, syncNs, 'app', { source: { url: `file://${repo.bareDir}-missing` } });
    await eventually('the failure to show', async () => (readyOf(await getSync(admin, syncNs, 'app')).reason === 'GitUnreachable' ? true : undefined));
    const failuresBefore = (await metrics.render()).match(/result="failure",reason="GitUnreachable"} (\d+)/);
    await new Promise((r) => setTimeout(r, 1500));
    const failuresAfter = (await metrics.render()).match(/result="failure",reason="GitUnreachable"} (\d+)/);
    // Retried (backoff 200 ms, 400 ms, 800 ms …), but not in a tight loop.
    expect(Number(failuresAfter?.[1])).toBeGreaterThan(Number(failuresBefore?.[1]));
    expect(Number(failuresAfter?.[1])).toBeLessThan(10);
    await patchSyncSpec(admin, syncNs, 'app', { source: { url: `file://${repo.bareDir}` } });
    await eventually('recovery', async () => (readyOf(await getSync(admin, syncNs, 'app')).status === 'True' ? true : undefined));
  });

  it('serves health, readiness and metrics', async () => {
    const port = (server.address() as AddressInfo).port;
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(text).toMatch(/sealops_reconcile_total\{result="success",reason="ReconciliationSucceeded"\} \d+/);
    expect(text).toContain(`sealops_sync_ready{namespace="${syncNs}",name="app"} 1`);
  });

  it('reconciles at once on a signed push webhook, and refuses a bad signature', async () => {
    const port = (server.address() as AddressInfo).port;
    repo.commitFiles({ 'v2/three.yaml': configMap(appNs, 'three', { v: '3' }) }, 'push');
    const body = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: `file://${repo.bareDir}` } });
    const bad = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', body, headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', 'wrong').update(body).digest('hex')}` } });
    expect(bad.status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    // The interval is an hour: without a valid push nothing picks the commit up.
    expect(await exists(admin, `/api/v1/namespaces/${appNs}/configmaps/three`)).toBe(false);
    const good = await fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', body, headers: { 'x-hub-signature-256': `sha256=${createHmac('sha256', hookSecret).update(body).digest('hex')}` } });
    expect(good.status).toBe(202);
    expect(await good.json()).toEqual({ matched: 1 });
    await eventually('the pushed ConfigMap', async () => ((await exists(admin, `/api/v1/namespaces/${appNs}/configmaps/three`)) ? true : undefined), 10_000);
  });

  it('restores drift on a resync even though it remembers the last apply', async () => {
    const path = `/api/v1/namespaces/${appNs}/configmaps/two`;
    await admin.request('PATCH', path, { body: { data: { v: 'edited' } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'kubectl-edit' } });
    controller.trigger([`file://${repo.bareDir}`], normalizeRepoUrl);
    await eventually('the edit to be undone', async () => ((await admin.request<{ data: { v: string } }>('GET', path)).data.v === '2' ? true : undefined), 10_000);
  });

  it('shows Ready, Revision and Age in the kubectl table view of Syncs', async () => {
    type Table = { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    const get = (): Promise<Table> => admin.request<Table>('GET', `/apis/sealops.dev/v1alpha1/namespaces/${syncNs}/syncs`, { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
    // The drift test before this one starts a resync: while it applies, Ready is Unknown (as it
    // should be); the table is read once that reconcile has finished.
    const table = await eventually('the resync to finish', async () => {
      const t = await get();
      const ready = t.rows[0]?.cells[t.columnDefinitions.findIndex((c) => c.name === 'Ready')];
      return ready === 'Unknown' ? undefined : t;
    }, 10_000);
    const names = table.columnDefinitions.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining(['Name', 'Ready', 'Revision', 'Age']));
    const row = table.rows[0]!.cells;
    expect(row[names.indexOf('Ready')]).toBe('True');
    expect(row[names.indexOf('Revision')]).toBe(`main@sha1:${repo.head()}`);
  });

  it('may take the leader Lease in its namespace under the shipped RBAC', async () => {
    const elector = new LeaderElector(agent, { namespace: 'sealops-system', name: `test-${syncNs}`, identity: 'replica-a' });
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    expect(await elector.tryAcquireOrRenew()).toBe(true);
    await elector.release();
  });

  it('never logs the unsealed value', () => {
    const all = logs.join('');
    expect(all).toContain('reconciled');
    expect(all).not.toContain(token);
    expect(all).not.toContain(Buffer.from(token).toString('base64'));
  });
});
