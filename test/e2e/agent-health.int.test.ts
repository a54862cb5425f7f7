// History and health (spec.wait) against the real control plane. The run's kube-controller-manager
// runs the deployment, replica-set and job controllers but there is no kubelet or scheduler, so
// pods stay Pending: a Deployment with a short progressDeadlineSeconds gets
// `Progressing=False ProgressDeadlineExceeded` from the real controller, one with 0 replicas
// becomes Available, and a Job with activeDeadlineSeconds fails. A custom resource's kstatus
// conditions are set by the test through the status subresource, as its controller would.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { describeWithCluster, eventually } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { AgentRunner, condition, createNs, createSync, getSync, makeClusterKeys, patchSyncSpec, publishedText, secretValue, setUpAgent, type ClusterKeys } from './agent-harness.js';
import { configMap, sopsFile } from './agent-fixtures.js';
import { Logger, reconcileSync, type KubeClient, type SyncObject } from '../../src/index.js';
import { ownVersion } from '../../src/util/version.js';

let client: KubeClient;
let agentNs: string;
let keys: ClusterKeys;
let runner: AgentRunner;
const repos: TestRepo[] = [];

beforeAll(async () => {
  keys = makeClusterKeys();
  ({ client, agentNs } = await setUpAgent(keys));
  runner = new AgentRunner(client, agentNs);
});
afterAll(() => {
  runner?.cleanup();
  for (const r of repos) r.cleanup();
  client?.close();
});

function newRepo(): TestRepo {
  const repo = createRepo();
  repos.push(repo);
  return repo;
}

function deploymentYaml(ns: string, name: string, extra: Record<string, unknown>): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: ns },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'registry.invalid/app:1' }] } }, ...extra },
  });
}

function jobYaml(ns: string, name: string): string {
  return stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: ns },
    spec: { activeDeadlineSeconds: 1, backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'job', image: 'registry.invalid/job:1' }] } } },
  });
}

function healthy(s: SyncObject | undefined): { status?: string; reason?: string; message?: string } | undefined {
  return s?.status?.conditions?.find((c) => c.type === 'Healthy');
}

async function eventsOf(ns: string): Promise<{ reason?: string; type?: string; note?: string }[]> {
  return (await client.request<{ items: { reason?: string; type?: string; note?: string }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`)).items;
}

describeWithCluster('agent history and health', () => {
  it('records one history entry per applied revision, counts re-applies, and writes the agent version', async () => {
    const syncNs = await createNs(client, 'hist');
    const appNs = await createNs(client, 'hist-app');
    const canary = secretValue('hist-canary');
    const repo = newRepo();
    const first = repo.commitFiles({ 'app/db.yaml': sopsFile(appNs, canary, keys), 'app/cm.yaml': configMap(appNs, 'settings', { mode: 'a' }) });
    await createSync(client, syncNs, 'app', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'app', interval: '1h' });

    expect((await runner.reconcile(syncNs, 'app')).ok).toBe(true);
    let sync = await getSync(client, syncNs, 'app');
    expect(sync.status?.agentVersion).toBe(ownVersion());
    expect(sync.status?.history).toEqual([
      expect.objectContaining({ revision: `main@sha1:${first}`, applies: 1, counts: { created: 2, configured: 0, unchanged: 0, deleted: 0 }, digest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) }),
    ]);
    const firstEntry = sync.status!.history![0]!;
    expect(firstEntry.firstAppliedTime).toBe(sync.status?.lastAppliedTime);

    expect((await runner.reconcile(syncNs, 'app')).ok).toBe(true);
    sync = await getSync(client, syncNs, 'app');
    expect(sync.status?.history).toHaveLength(1);
    expect(sync.status?.history?.[0]).toMatchObject({ revision: firstEntry.revision, applies: 2, firstAppliedTime: firstEntry.firstAppliedTime, digest: firstEntry.digest, counts: firstEntry.counts });
    expect(sync.status?.history?.[0]?.lastAppliedTime).toBe(sync.status?.lastAppliedTime);

    // A new value of the secret is a new revision; its digest is the same (it never hashes a value).
    const canary2 = secretValue('hist-canary2');
    const second = repo.commitFiles({ 'app/db.yaml': sopsFile(appNs, canary2, keys) });
    expect((await runner.reconcile(syncNs, 'app')).ok).toBe(true);
    sync = await getSync(client, syncNs, 'app');
    expect(sync.status?.history?.map((h) => h.revision)).toEqual([`main@sha1:${second}`, `main@sha1:${first}`]);
    expect(sync.status?.history?.[0]).toMatchObject({ applies: 1, counts: { created: 0, configured: 1, unchanged: 1, deleted: 0 }, digest: firstEntry.digest });

    const published = (await publishedText(client, syncNs, 'app')) + runner.logs.join('\n');
    for (const v of [canary, canary2]) {
      expect(published).not.toContain(v);
      expect(published).not.toContain(Buffer.from(v).toString('base64'));
    }
  });

  it('leaves Healthy=False naming a Deployment past its progress deadline and a failed Job, and keeps a scaled-to-zero one out', async () => {
    const syncNs = await createNs(client, 'health');
    const appNs = await createNs(client, 'health-app');
    const canary = secretValue('health-canary');
    const repo = newRepo();
    repo.commitFiles({
      'app/stuck.yaml': deploymentYaml(appNs, 'stuck', { progressDeadlineSeconds: 2 }),
      'app/idle.yaml': deploymentYaml(appNs, 'idle', { replicas: 0 }),
      'app/job.yaml': jobYaml(appNs, 'migrate'),
      'app/db.yaml': sopsFile(appNs, canary, keys),
    });
    await createSync(client, syncNs, 'app', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'app', interval: '1h', wait: true, timeout: '2m' });

    const outcome = await runner.reconcile(syncNs, 'app');
    expect(outcome.ok).toBe(true);
    const sync = await getSync(client, syncNs, 'app');
    expect(condition(sync, 'Ready')).toBe('True');
    const h = healthy(sync);
    expect(h).toMatchObject({ status: 'False', reason: 'HealthCheckFailed' });
    expect(h?.message).toContain(`Deployment ${appNs}/stuck (ProgressDeadlineExceeded)`);
    expect(h?.message).toContain(`Job ${appNs}/migrate (JobFailed)`);
    expect(h?.message).not.toContain('idle');
    expect(sync.status?.health?.unhealthy).toEqual(
      expect.arrayContaining([
        { apiVersion: 'apps/v1', kind: 'Deployment', namespace: appNs, name: 'stuck', reason: 'ProgressDeadlineExceeded' },
        { apiVersion: 'batch/v1', kind: 'Job', namespace: appNs, name: 'migrate', reason: 'JobFailed' },
      ]),
    );
    expect(sync.status?.health?.unhealthy).toHaveLength(2);
    const warnings = (await eventsOf(syncNs)).filter((e) => e.reason === 'HealthCheckFailed');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ type: 'Warning' });
    expect(warnings[0]?.note).toContain(`${appNs}/stuck`);

    // Nothing changed: one look at the unhealthy objects, the same verdict, no second Warning.
    expect((await runner.reconcile(syncNs, 'app')).ok).toBe(true);
    expect(healthy(await getSync(client, syncNs, 'app'))).toMatchObject({ status: 'False', message: h?.message });
    expect((await eventsOf(syncNs)).filter((e) => e.reason === 'HealthCheckFailed')).toHaveLength(1);

    const published = (await publishedText(client, syncNs, 'app')) + runner.logs.join('\n');
    expect(published).not.toContain(canary);
    expect(published).not.toContain(Buffer.from(canary).toString('base64'));
  });

  it('judges everything already applied when spec.wait is turned on, and drops Healthy when it is turned off', async () => {
    const syncNs = await createNs(client, 'late');
    const appNs = await createNs(client, 'late-app');
    const repo = newRepo();
    repo.commitFiles({ 'app/stuck.yaml': deploymentYaml(appNs, 'stuck', { progressDeadlineSeconds: 1 }) });
    await createSync(client, syncNs, 'app', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'app', interval: '1h' });
    expect((await runner.reconcile(syncNs, 'app')).ok).toBe(true);
    expect(healthy(await getSync(client, syncNs, 'app'))).toBeUndefined();
    // Nothing to apply, but nothing was ever judged either.
    await patchSyncSpec(client, syncNs, 'app', { wait: true });
    expect((await runner.reconcile(syncNs, 'app')).ok).toBe(true);
    const h = healthy(await getSync(client, syncNs, 'app'));
    expect(h).toMatchObject({ status: 'False', reason: 'HealthCheckFailed' });
    expect(h?.message).toContain(`Deployment ${appNs}/stuck (ProgressDeadlineExceeded)`);
    await patchSyncSpec(client, syncNs, 'app', { wait: false });
    expect((await runner.reconcile(syncNs, 'app')).ok).toBe(true);
    expect(healthy(await getSync(client, syncNs, 'app'))).toBeUndefined();
  });

  it('becomes Healthy=True when a Deployment scaled to zero is Available', async () => {
    const syncNs = await createNs(client, 'healthy');
    const appNs = await createNs(client, 'healthy-app');
    const repo = newRepo();
    repo.commitFiles({ 'app/idle.yaml': deploymentYaml(appNs, 'idle', { replicas: 0 }), 'app/cm.yaml': configMap(appNs, 'settings', { mode: 'a' }) });
    await createSync(client, syncNs, 'app', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'app', interval: '1h', wait: true, timeout: '2m' });
    expect((await runner.reconcile(syncNs, 'app')).ok).toBe(true);
    const sync = await getSync(client, syncNs, 'app');
    expect(healthy(sync)).toMatchObject({ status: 'True', reason: 'Healthy' });
    expect(healthy(sync)?.message).toContain('1 object(s)');
    expect(sync.status?.health?.unhealthy).toEqual([]);
    const deployment = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', `/apis/apps/v1/namespaces/${appNs}/deployments/idle`);
    expect(deployment.status?.conditions?.find((c) => c.type === 'Available')?.status).toBe('True');
  });

  it('waits on kstatus conditions of a custom resource: Progressing while waiting, then ready or Stalled', async () => {
    const syncNs = await createNs(client, 'kstatus');
    const appNs = await createNs(client, 'kstatus-app');
    const group = `${appNs}.sealops.test`;
    await client.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      body: {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `gadgets.${group}` },
        spec: {
          group,
          scope: 'Namespaced',
          names: { kind: 'Gadget', plural: 'gadgets', singular: 'gadget', listKind: 'GadgetList' },
          versions: [{ name: 'v1', served: true, storage: true, subresources: { status: {} }, schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } }],
        },
      },
    });
    const base = `/apis/${group}/v1/namespaces/${appNs}/gadgets`;
    await eventually('Gadgets served', async () => ((await client.request('GET', base).catch(() => undefined)) ? true : undefined));
    const setStatus = (name: string, status: Record<string, unknown>): Promise<unknown> =>
      client.request('PATCH', `${base}/${name}/status`, { body: { status }, contentType: 'application/merge-patch+json' });
    // Both exist with a status that says "not ready" before the agent takes them over.
    for (const name of ['good', 'bad']) {
      await client.request('POST', base, { body: { apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name }, spec: { size: 1 } } });
      await setStatus(name, { observedGeneration: 1, conditions: [{ type: 'Ready', status: 'False', reason: 'Starting', message: '', lastTransitionTime: new Date().toISOString() }] });
    }
    const repo = newRepo();
    const gadget = (name: string): string => stringify({ apiVersion: `${group}/v1`, kind: 'Gadget', metadata: { name, namespace: appNs }, spec: { size: 3 } });
    repo.commitFiles({ 'app/good.yaml': gadget('good'), 'app/bad.yaml': gadget('bad') });
    await createSync(client, syncNs, 'app', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'app', interval: '1h', wait: true, timeout: '2m' });

    const running = runner.reconcile(syncNs, 'app');
    const waiting = await eventually('Healthy=Unknown while waiting', async () => {
      const h = healthy(await getSync(client, syncNs, 'app'));
      return h?.status === 'Unknown' ? h : undefined;
    });
    expect(waiting).toMatchObject({ reason: 'Progressing' });
    expect(waiting.message).toContain(`Gadget ${appNs}/good`);
    const now = new Date().toISOString();
    await setStatus('good', { observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True', reason: 'Running', message: '', lastTransitionTime: now }] });
    await setStatus('bad', { observedGeneration: 2, conditions: [{ type: 'Stalled', status: 'True', reason: 'Broken', message: '', lastTransitionTime: now }] });
    expect((await running).ok).toBe(true);
    let sync = await getSync(client, syncNs, 'app');
    expect(healthy(sync)).toMatchObject({ status: 'False', reason: 'HealthCheckFailed' });
    expect(healthy(sync)?.message).toContain(`Gadget ${appNs}/bad (Stalled)`);
    expect(healthy(sync)?.message).not.toContain('/good');
    expect(sync.status?.health?.unhealthy).toEqual([{ apiVersion: `${group}/v1`, kind: 'Gadget', namespace: appNs, name: 'bad', reason: 'Stalled' }]);

    // Its controller recovers: the next reconcile (nothing changed) looks again and says so.
    await setStatus('bad', { conditions: [{ type: 'Stalled', status: 'False', reason: 'Fixed', message: '', lastTransitionTime: now }, { type: 'Ready', status: 'True', reason: 'Running', message: '', lastTransitionTime: now }] });
    expect((await runner.reconcile(syncNs, 'app')).ok).toBe(true);
    sync = await getSync(client, syncNs, 'app');
    expect(healthy(sync)).toMatchObject({ status: 'True', reason: 'Healthy' });
    expect(sync.status?.health?.unhealthy).toEqual([]);
    expect((await eventsOf(syncNs)).map((e) => e.reason)).toEqual(expect.arrayContaining(['HealthCheckFailed', 'HealthCheckSucceeded']));
  });

  it('says not healthy within spec.timeout when a workload never becomes ready, and stops waiting at shutdown', async () => {
    const syncNs = await createNs(client, 'slow');
    const appNs = await createNs(client, 'slow-app');
    const repo = newRepo();
    repo.commitFiles({ 'app/web.yaml': deploymentYaml(appNs, 'web', {}) });
    const source = { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } };
    await createSync(client, syncNs, 'timeout', { source, path: 'app', interval: '1h', wait: true, timeout: '8s' });
    expect((await runner.reconcile(syncNs, 'timeout')).ok).toBe(true);
    const h = healthy(await getSync(client, syncNs, 'timeout'));
    expect(h).toMatchObject({ status: 'False', reason: 'HealthCheckFailed' });
    expect(h?.message).toContain('within spec.timeout (8s)');
    expect(h?.message).toContain(`Deployment ${appNs}/web`);

    // A ten-minute timeout, cut short by shutdown: the reconcile returns and says nothing is known yet.
    repo.commitFiles({ 'app/web.yaml': deploymentYaml(appNs, 'web', { replicas: 2 }) });
    await createSync(client, syncNs, 'shutdown', { source, path: 'app', interval: '1h', wait: true, timeout: '10m' });
    const stop = new AbortController();
    const fresh = await getSync(client, syncNs, 'shutdown');
    const running = reconcileSync({ client, discovery: runner.discovery, log: new Logger(() => undefined), agentNamespace: agentNs, workRoot: runner.workRoot, signal: stop.signal }, fresh);
    await eventually('Healthy=Unknown while waiting', async () => (healthy(await getSync(client, syncNs, 'shutdown'))?.status === 'Unknown' ? true : undefined));
    stop.abort();
    expect((await running).ok).toBe(true);
    const sync = await getSync(client, syncNs, 'shutdown');
    expect(healthy(sync)).toMatchObject({ status: 'Unknown', reason: 'HealthCheckInterrupted' });
    expect(sync.status?.health?.unhealthy).toEqual([expect.objectContaining({ kind: 'Deployment', name: 'web' })]);
  });
});
