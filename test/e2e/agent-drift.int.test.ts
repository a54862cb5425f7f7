// Drift, both directions, on the real control plane with a real smart-HTTP git server: edits made
// in the cluster by another field manager (as `kubectl edit` makes them) show in
// `sealops diff --live` with and without a key, are recorded and left alone in `report` mode,
// are re-applied in `correct` mode, and a path under spec.drift.ignore never counts. No secret
// byte (canary values, the git side's and the cluster's) reaches any output, status, Event or log.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithCluster, adminKubeconfigPath, eventually } from '../support/kube.js';
import { createRepo, serveHttp, type HttpGitServer, type TestRepo } from '../support/git-servers.js';
import { AgentRunner, createNs, createSync, getSync, makeClusterKeys, patchSyncSpec, publishedText, secretValue, secretValues, setUpAgent, type ClusterKeys } from './agent-harness.js';
import { configMap, deployment, sealedFile, sopsFile } from './agent-fixtures.js';
import { run, type CliRun } from '../cli/helpers.js';
import { Controller, Discovery, Logger, reconcileSync, type KubeClient, type SyncObject } from '../../src/index.js';
import type { ApplyCache } from '../../src/agent/apply/index.js';

let client: KubeClient;
let keys: ClusterKeys;
let runner: AgentRunner;
let repo: TestRepo;
let server: HttpGitServer;
let syncNs: string;
let appNs: string;
let keyDir: string;
const outputs: string[] = [];
const canaries = { password: secretValue('drift-pw'), token: secretValue('drift-token'), edited: secretValue('cluster-edit'), resealed: secretValue('resealed-pw') };

function b64(s: string): string {
  return Buffer.from(s, 'utf8').toString('base64');
}

/** `sealops diff --live deploy` in the repository's working clone, recorded for the leak check. */
async function diffLive(...extra: string[]): Promise<CliRun> {
  const r = await run(['diff', '--live', 'deploy', '--kubeconfig', adminKubeconfigPath(), '--sync', `${syncNs}/app`, ...extra], { cwd: repo.workDir });
  outputs.push(r.stdout, r.stderr);
  return r;
}

/** A write by another field manager, as `kubectl edit` sends it. */
async function editAs(manager: string, path: string, body: unknown): Promise<void> {
  await client.request('PATCH', path, { body, contentType: 'application/merge-patch+json', query: { fieldManager: manager } });
}

async function reconcile(): Promise<SyncObject> {
  const outcome = await runner.reconcile(syncNs, 'app');
  expect(outcome.ok, outcome.message).toBe(true);
  return getSync(client, syncNs, 'app');
}

async function live<T>(path: string): Promise<T> {
  return client.request<T>('GET', path);
}

describeWithCluster('drift between commits', () => {
  beforeAll(async () => {
    keys = makeClusterKeys();
    let agentNs: string;
    ({ client, agentNs } = await setUpAgent(keys));
    syncNs = await createNs(client, 'drift');
    appNs = await createNs(client, 'drift-app');
    repo = createRepo();
    server = await serveHttp(repo.bareDir);
    await client.request('POST', `/api/v1/namespaces/${syncNs}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-auth' }, stringData: { username: server.username, password: server.token } },
    });
    repo.commitFiles({
      'deploy/config.yaml': configMap(appNs, 'settings', { mode: 'production' }),
      'deploy/app.yml': deployment(appNs, 'web'),
      'deploy/db.sops.yaml': sopsFile(appNs, canaries.password, keys),
      'deploy/sealed.yaml': sealedFile(appNs, canaries.token, keys),
    });
    await createSync(client, syncNs, 'app', {
      source: { url: server.url, ref: { branch: 'main' }, secretRef: { name: 'git-auth' } },
      path: 'deploy',
      interval: '1m',
      prune: true,
      drift: { mode: 'report', ignore: [{ target: { kind: 'Deployment', name: 'web' }, paths: ['/spec/replicas'] }] },
    });
    runner = new AgentRunner(client, agentNs);
    keyDir = mkdtempSync(join(tmpdir(), 'sealops-drift-key-'));
    writeFileSync(join(keyDir, 'cluster.agekey'), keys.ageIdentity);
    writeFileSync(join(keyDir, 'cluster.pem'), keys.rsaPrivatePem);
    await reconcile();
  });

  afterAll(async () => {
    runner?.cleanup();
    await server?.stop();
    repo?.cleanup();
    rmSync(keyDir, { recursive: true, force: true });
    client?.close();
  });

  it('records on each applied sealed Secret the digests of the ciphertext it came from, and diff --live then finds nothing', async () => {
    const db = await live<{ metadata: { annotations?: Record<string, string> } }>(`/api/v1/namespaces/${appNs}/secrets/db`);
    expect(Object.keys(JSON.parse(db.metadata.annotations?.['sealops.dev/sealed-digests'] ?? '{}') as object).sort()).toEqual(['password', 'user']);
    const r = await diffLive();
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('no changes');
    expect(r.status).toBe(0);
  });

  it('shows a field edited in the cluster by another manager, and a Secret key edited there as changed, without a key and with one', async () => {
    await editAs('kubectl-edit', `/api/v1/namespaces/${appNs}/configmaps/settings`, { data: { mode: 'debug' } });
    await editAs('kubectl-edit', `/api/v1/namespaces/${appNs}/secrets/db`, { data: { password: b64(canaries.edited) } });
    // What an HPA does to replicas: ignored by the Sync, so never drift.
    await editAs('hpa-controller', `/apis/apps/v1/namespaces/${appNs}/deployments/web`, { spec: { replicas: 3 } });

    const keyless = await diffLive();
    expect(keyless.status).toBe(1);
    expect(keyless.stdout).toContain(`changed ConfigMap ${appNs}/settings`);
    expect(keyless.stdout).toMatch(/^ {2}- {2}mode: debug$/m);
    expect(keyless.stdout).toMatch(/^ {2}\+ {2}mode: production$/m);
    expect(keyless.stdout).toContain(`changed Secret ${appNs}/db`);
    expect(keyless.stdout).toMatch(/key password +changed in the cluster \(written by kubectl-edit\)/);
    expect(keyless.stdout).toMatch(/key user +unchanged since the agent applied it/);
    expect(keyless.stdout).toContain('compared without a key');
    expect(keyless.stdout).not.toContain('Deployment');
    expect(keyless.stdout).not.toContain('api-token');

    const keyed = await diffLive('-k', join(keyDir, 'cluster.agekey'), '-k', join(keyDir, 'cluster.pem'), '-o', 'json');
    expect(keyed.stderr).toBe('');
    expect(keyed.status).toBe(1);
    const report = JSON.parse(keyed.stdout) as { objects: { object: { kind: string; name: string }; secret?: { keys: { key: string; status: string }[] } }[]; method: string };
    expect(report.objects.map((o) => `${o.object.kind}/${o.object.name}`)).toEqual(['ConfigMap/settings', 'Secret/db']);
    expect(report.objects[1]!.secret!.keys).toEqual([
      { key: 'password', status: 'changed' },
      { key: 'user', status: 'unchanged' },
    ]);
    expect(report.method).toContain('decrypted in memory');
  });

  it('in report mode records the drifted objects and their paths, writes an Event, and corrects nothing', async () => {
    const before = await getSync(client, syncNs, 'app');
    const sync = await reconcile();
    expect(sync.status?.drift).toMatchObject({ mode: 'report', revision: before.status?.lastAppliedRevision });
    expect(sync.status?.drift?.objects).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', namespace: appNs, name: 'settings', paths: ['/data/mode'] },
      { apiVersion: 'v1', kind: 'Secret', namespace: appNs, name: 'db', paths: ['/data/password'] },
    ]);
    // A drift check is no apply: the revision and its time stay.
    expect(sync.status?.lastAppliedRevision).toBe(before.status?.lastAppliedRevision);
    expect(sync.status?.lastAppliedTime).toBe(before.status?.lastAppliedTime);
    expect((await live<{ data: Record<string, string> }>(`/api/v1/namespaces/${appNs}/configmaps/settings`)).data.mode).toBe('debug');
    expect((await secretValues(client, appNs, 'db'))?.password).toBe(canaries.edited);
    expect((await live<{ spec: { replicas: number } }>(`/apis/apps/v1/namespaces/${appNs}/deployments/web`)).spec.replicas).toBe(3);
    const events = await client.request<{ items: { reason: string; note: string }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${syncNs}/events`);
    const drift = events.items.filter((e) => e.reason === 'DriftDetected');
    expect(drift).toHaveLength(1);
    expect(drift[0]!.note).toContain(`ConfigMap ${appNs}/settings (/data/mode)`);
    expect(drift[0]!.note).toContain(`Secret ${appNs}/db (/data/password)`);
    expect(drift[0]!.note).toContain('recorded only');

    // The same drift at the next check is not announced again.
    await reconcile();
    const again = await client.request<{ items: { reason: string }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${syncNs}/events`);
    expect(again.items.filter((e) => e.reason === 'DriftDetected')).toHaveLength(1);
  });

  it('in correct mode re-applies the drifted objects and still leaves the ignored replicas alone', async () => {
    await patchSyncSpec(client, syncNs, 'app', { drift: { mode: 'correct' } });
    // A new spec applies git (the ignore rule kept), then a later edit is found and corrected by a check.
    await reconcile();
    expect((await live<{ data: Record<string, string> }>(`/api/v1/namespaces/${appNs}/configmaps/settings`)).data.mode).toBe('production');
    expect((await secretValues(client, appNs, 'db'))?.password).toBe(canaries.password);
    expect((await live<{ spec: { replicas: number } }>(`/apis/apps/v1/namespaces/${appNs}/deployments/web`)).spec.replicas).toBe(3);

    await editAs('kubectl-edit', `/api/v1/namespaces/${appNs}/configmaps/settings`, { data: { mode: 'debug' } });
    await editAs('hpa-controller', `/apis/apps/v1/namespaces/${appNs}/deployments/web`, { spec: { replicas: 5 } });
    const sync = await reconcile();
    expect(sync.status?.drift).toMatchObject({ mode: 'correct', objects: [{ kind: 'ConfigMap', name: 'settings', paths: ['/data/mode'] }] });
    expect((await live<{ data: Record<string, string> }>(`/api/v1/namespaces/${appNs}/configmaps/settings`)).data.mode).toBe('production');
    expect((await live<{ spec: { replicas: number } }>(`/apis/apps/v1/namespaces/${appNs}/deployments/web`)).spec.replicas).toBe(5);
    expect((await diffLive()).status).toBe(0);
    // The revision's history entry is judged by git's objects, not by the replicas an HPA keeps changing.
    expect(sync.status?.history?.filter((h) => h.revision === sync.status?.lastAppliedRevision)).toHaveLength(1);
  });

  it("re-applies a drifted object even when the long-running agent's apply cache remembers it", async () => {
    const ctx = { client, discovery: new Discovery(client), log: new Logger((l) => runner.logs.push(l)), agentNamespace: runner.agentNamespace, workRoot: runner.workRoot, applyCaches: new Map<string, ApplyCache>() };
    const once = async (): Promise<void> => {
      const outcome = await reconcileSync(ctx, await getSync(client, syncNs, 'app'));
      expect(outcome.ok, outcome.message).toBe(true);
    };
    await once();
    expect([...ctx.applyCaches.values()][0]?.size).toBeGreaterThan(0);
    await editAs('kubectl-edit', `/api/v1/namespaces/${appNs}/configmaps/settings`, { data: { mode: 'cached-debug' } });
    await once();
    expect((await live<{ data: Record<string, string> }>(`/api/v1/namespaces/${appNs}/configmaps/settings`)).data.mode).toBe('production');
    expect((await getSync(client, syncNs, 'app')).status?.drift?.objects).toMatchObject([{ kind: 'ConfigMap', name: 'settings' }]);
  });

  it('without a key, tells a Secret re-sealed in git from one changed in the cluster, and lists what prune would delete', async () => {
    writeFileSync(join(repo.workDir, 'deploy/db.sops.yaml'), sopsFile(appNs, canaries.resealed, keys));
    rmSync(join(repo.workDir, 'deploy/sealed.yaml'));
    const r = await diffLive('-o', 'markdown');
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\| `password` \| changed in git \|/);
    expect(r.stdout).toContain(`| \`Secret ${appNs}/api-token\` | removed: prune would delete it |`);
  });

  it('puts no secret byte in any diff, status, Event or log', async () => {
    const published = await publishedText(client, syncNs, 'app');
    const everything = [...outputs, published, ...runner.logs].join('\n');
    for (const canary of Object.values(canaries)) {
      expect(everything).not.toContain(canary);
      expect(everything).not.toContain(b64(canary));
    }
    expect(outputs.length).toBeGreaterThan(0);
  });

  it('reads each object once in a reconcile with a drift check: the apply takes what the check read and dry-ran', async () => {
    const requests = async (): Promise<number> => {
      const before = client.requests;
      await reconcile();
      return client.requests - before;
    };
    // No drift interval: every reconcile between commits checks. Then one of an hour: the next does not.
    await patchSyncSpec(client, syncNs, 'app', { drift: { mode: 'correct', ignore: [] }, driftInterval: null });
    await reconcile();
    const withCheck = await requests();
    expect((await getSync(client, syncNs, 'app')).status?.drift?.objects).toEqual([]);
    await patchSyncSpec(client, syncNs, 'app', { driftInterval: '1h' });
    await reconcile();
    const checkedAt = (await getSync(client, syncNs, 'app')).status?.drift?.checkedTime;
    const withoutCheck = await requests();
    expect((await getSync(client, syncNs, 'app')).status?.drift?.checkedTime).toBe(checkedAt);
    // The check adds its status write (measured: 15 requests against 14); reading and dry-running
    // the objects again for the apply made it 23.
    expect(withCheck - withoutCheck).toBeLessThanOrEqual(3);
  });
});

describeWithCluster('the controller and spec.driftInterval', () => {
  let controller: Controller | undefined;
  let ctlRepo: TestRepo;
  afterAll(async () => {
    await controller?.stop();
    ctlRepo?.cleanup();
  });

  it('checks for drift on spec.driftInterval, long before spec.interval, and in report mode leaves the drift in place', async () => {
    const ctlKeys = makeClusterKeys();
    const { client: admin, agentNs } = await setUpAgent(ctlKeys);
    const ns = await createNs(admin, 'drift-ctl');
    const app = await createNs(admin, 'drift-ctl-app');
    ctlRepo = createRepo();
    ctlRepo.commitFiles({ 'deploy/config.yaml': configMap(app, 'settings', { mode: 'production' }) });
    const workRoot = mkdtempSync(join(tmpdir(), 'sealops-drift-ctl-'));
    controller = new Controller({ client: admin, log: new Logger(() => undefined), agentNamespace: agentNs, namespace: ns, workRoot, backoffBaseMs: 200 });
    await createSync(admin, ns, 'app', { source: { url: `file://${ctlRepo.bareDir}`, ref: { branch: 'main' } }, path: 'deploy', interval: '1h', driftInterval: '1s', drift: { mode: 'report' } });
    controller.start();
    await eventually('the first apply', async () => ((await getSync(admin, ns, 'app')).status?.lastAppliedRevision ? true : undefined));
    await admin.request('PATCH', `/api/v1/namespaces/${app}/configmaps/settings`, { body: { data: { mode: 'debug' } }, contentType: 'application/merge-patch+json', query: { fieldManager: 'kubectl-edit' } });
    const drift = await eventually('the drift to be recorded', async () => {
      const d = (await getSync(admin, ns, 'app')).status?.drift;
      return d?.objects.length ? d : undefined;
    });
    expect(drift.objects).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', namespace: app, name: 'settings', paths: ['/data/mode'] }]);
    expect((await admin.request<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${app}/configmaps/settings`)).data.mode).toBe('debug');
    await controller.stop();
    controller = undefined;
    rmSync(workRoot, { recursive: true, force: true });
    admin.close();
  });
});
