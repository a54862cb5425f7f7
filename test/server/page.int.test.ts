// The status page and the status gauges, served by the library's server from the controller's
// own view of real Syncs on the real API server (listed, then watched), looked at in a real
// headless Chromium. The statuses are written here through the status subresource, in the
// shapes the agent writes (history, drift, health, the Healthy condition), one of them carrying
// an XSS payload in a condition message and a drift path.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describeWithCluster, eventually } from '../support/kube.js';
import { artifactDir, dumpDom, pngSize, screenshot } from '../support/chromium.js';
import { createNs, createSync, getSync, setUpAgent } from '../e2e/agent-harness.js';
import { AgentMetrics, Controller, Logger, startHealthServer, type KubeClient } from '../../src/index.js';
import type { Condition, HistoryEntry, SyncStatus } from '../../src/agent/sync.js';

const XSS = `<script>document.title="pwned"</script><img src=x onerror=alert(1)>`;
const A1 = 'a'.repeat(40);
const A2 = 'b'.repeat(40);
const B1 = 'c'.repeat(40);
const B2 = 'd'.repeat(40);

let client: KubeClient;
let controller: Controller;
let server: Server;
let syncNs: string;
let work: string;
let base: string;
let metrics: AgentMetrics;

function cond(type: Condition['type'], status: Condition['status'], reason: string, message: string): Condition {
  return { type, status, reason, message, lastTransitionTime: new Date(Date.now() - 600_000).toISOString() };
}
function entry(commit: string, minutesAgo: number, created: number): HistoryEntry {
  const t = new Date(Date.now() - minutesAgo * 60_000).toISOString();
  return { revision: `main@sha1:${commit}`, firstAppliedTime: t, lastAppliedTime: t, applies: 1, counts: { created, configured: 1, unchanged: 2, deleted: 0 }, digest: `sha256:${commit.slice(0, 16)}` };
}
async function writeStatus(name: string, status: SyncStatus): Promise<void> {
  await client.request('PATCH', `/apis/sealops.dev/v1alpha1/namespaces/${syncNs}/syncs/${name}/status`, { body: { status }, contentType: 'application/merge-patch+json' });
}
/** The markup of one Sync's section in a serialized DOM. */
function section(dom: string, name: string): string {
  const start = dom.indexOf(`data-sync="${syncNs}/${name}"`);
  expect(start, `section of ${name}`).toBeGreaterThan(0);
  const end = dom.indexOf('</section>', start);
  return dom.slice(start, end);
}

describeWithCluster('the status page of real Syncs in a real Chromium', () => {
  beforeAll(async () => {
    ({ client } = await setUpAgent());
    syncNs = await createNs(client, 'page');
    work = mkdtempSync(join(tmpdir(), 'sealops-page-'));
    const source = { url: 'https://git.example/fleet.git', ref: { branch: 'main' } };
    await createSync(client, syncNs, 'frontend', { source, path: 'apps/frontend', interval: '1h' });
    await createSync(client, syncNs, 'payments', { source, path: 'apps/payments', interval: '1h', wait: true });
    // Watching only: these Syncs' statuses are the test's, not a reconcile's.
    controller = new Controller({ client, log: new Logger(() => undefined), agentNamespace: syncNs, namespace: syncNs, workRoot: work, canReconcile: () => false });
    metrics = new AgentMetrics({ syncs: () => controller.syncs(), apiRequests: () => client.requests });
    server = await startHealthServer({ port: 0, host: '127.0.0.1', isReady: () => controller.ready, metrics, syncs: () => controller.syncs(), scope: `namespace ${syncNs}` });
    controller.start();
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await writeStatus('frontend', {
      observedGeneration: 1,
      conditions: [cond('Ready', 'True', 'ReconciliationSucceeded', `applied main@sha1:${A2}`), cond('Reconciling', 'False', 'ReconciliationSucceeded', ''), cond('Stalled', 'False', 'ReconciliationSucceeded', '')],
      lastAppliedRevision: `main@sha1:${A2}`,
      lastAttemptedRevision: `main@sha1:${A2}`,
      lastAppliedTime: new Date(Date.now() - 120_000).toISOString(),
      inventory: { entries: [{ id: 'web_site__ConfigMap', v: 'v1' }] },
      history: [entry(A2, 2, 0), entry(A1, 90, 3)],
      drift: { checkedTime: new Date().toISOString(), revision: `main@sha1:${A2}`, mode: 'report', objects: [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'web', name: 'site', paths: ['/spec/replicas', '/spec/template/spec/containers/0/image'] }] },
    });
    await writeStatus('payments', {
      observedGeneration: 1,
      conditions: [
        cond('Ready', 'False', 'ApplyFailed', `failed to apply objects: ConfigMap pay/settings: ${XSS}`),
        cond('Reconciling', 'False', 'ApplyFailed', ''),
        cond('Stalled', 'False', 'ApplyFailed', ''),
        cond('Healthy', 'False', 'HealthCheckFailed', 'Job pay/migrate is not ready'),
      ],
      lastAppliedRevision: `main@sha1:${B1}`,
      lastAttemptedRevision: `main@sha1:${B2}`,
      history: [entry(B1, 30, 5)],
      drift: { checkedTime: new Date().toISOString(), revision: `main@sha1:${B1}`, mode: 'correct', objects: [{ apiVersion: 'v1', kind: 'Secret', namespace: 'pay', name: 'db', paths: ['/data/password', `/metadata/annotations/${XSS}`] }, { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'pay', name: 'gone', paths: [], missing: true }] },
      health: { checkedTime: new Date().toISOString(), unhealthy: [{ apiVersion: 'batch/v1', kind: 'Job', namespace: 'pay', name: 'migrate', reason: 'JobFailed' }] },
    });
    // The page reads the controller's cache: wait until the watch delivered both statuses.
    await eventually('the controller to see both statuses', () => Promise.resolve(controller.syncs().filter((s) => s.status?.history).length === 2 ? true : undefined));
  }, 300_000);

  afterAll(async () => {
    await controller?.stop();
    server?.close();
    client?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('shows both Syncs with their state, revisions, history, drift, health and last error in the DOM Chromium built', async () => {
    const dom = await dumpDom(`${base}/`);
    expect(dom).toContain('<span id="sync-count">2</span>');
    const frontend = section(dom, 'frontend');
    expect(frontend).toMatch(/data-state="Ready">Ready</);
    expect(frontend).toContain(`<dd data-field="applied"><code>main@sha1:${A2}</code>`);
    expect([...frontend.matchAll(/<tr data-revision="([^"]+)">/g)].map((m) => m[1])).toEqual([`main@sha1:${A2}`, `main@sha1:${A1}`]);
    expect(frontend).toContain('data-drift-count="1"');
    expect(frontend).toContain('<code class="path">/spec/replicas</code>');
    expect(frontend).toContain('<code class="path">/spec/template/spec/containers/0/image</code>');
    expect(frontend).not.toContain('data-health=');

    const payments = section(dom, 'payments');
    expect(payments).toMatch(/data-state="Failed">Failed</);
    expect(payments).toMatch(/data-health="Unhealthy">Unhealthy</);
    expect(payments).toContain(`<dd data-field="applied"><code>main@sha1:${B1}</code>`);
    expect(payments).toContain(`<dd data-field="attempted"><code>main@sha1:${B2}</code> <span class="badge bad">not applied</span>`);
    expect([...payments.matchAll(/<tr data-revision="([^"]+)">/g)].map((m) => m[1])).toEqual([`main@sha1:${B1}`]);
    expect(payments).toContain('<code class="path">/data/password</code>');
    expect(payments).toMatch(/<li data-object="ConfigMap pay\/gone">.*missing/);
    expect(payments).toContain('<li data-object="Job pay/migrate"><span class="object">Job pay/migrate</span>: JobFailed</li>');
    expect(payments).toMatch(/<div class="errors">.*data-condition="Ready".*ApplyFailed.*data-condition="Healthy".*HealthCheckFailed/s);
  });

  it('keeps the XSS payload as text: Chromium made no script or image element and the title is untouched', async () => {
    const dom = await dumpDom(`${base}/`);
    expect(dom).not.toMatch(/<script/i);
    expect(dom).not.toMatch(/<img/i);
    expect(dom).toContain('&lt;script&gt;document.title="pwned"&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(dom).toMatch(/<title>sealops agent: 2 Syncs<\/title>/);
  });

  it('renders a screenshot: a real PNG of the window size, big enough to hold the page', async () => {
    const file = join(artifactDir('page'), 'status-page.png');
    const png = await screenshot(`${base}/`, file, 1280, 1600);
    expect(pngSize(png)).toEqual({ width: 1280, height: 1600 });
    // A blank or error page compresses to a few kilobytes; two rendered Syncs do not.
    expect(png.length).toBeGreaterThan(30_000);
    console.log(`status page screenshot: ${file}`);
  });

  it('exports drift and health gauges read from the same statuses', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain(`sealops_drift_objects{namespace="${syncNs}",name="frontend"} 1`);
    expect(text).toContain(`sealops_drift_objects{namespace="${syncNs}",name="payments"} 2`);
    expect(text).toContain(`sealops_sync_healthy{namespace="${syncNs}",name="payments"} 0`);
    expect(text).not.toContain(`sealops_sync_healthy{namespace="${syncNs}",name="frontend"}`);
    expect(text).not.toContain('pwned');
  });

  it('shows a status change once the watch delivers it, with no request of its own', async () => {
    await writeStatus('payments', { conditions: [cond('Ready', 'True', 'ReconciliationSucceeded', `applied main@sha1:${B2}`), cond('Healthy', 'True', 'Healthy', '')], lastAppliedRevision: `main@sha1:${B2}` });
    await eventually('the watch to deliver it', () => Promise.resolve(controller.syncs().find((s) => s.metadata.name === 'payments')?.status?.lastAppliedRevision === `main@sha1:${B2}` ? true : undefined));
    const before = client.requests;
    const dom = await dumpDom(`${base}/`);
    expect(client.requests).toBe(before);
    const payments = section(dom, 'payments');
    expect(payments).toMatch(/data-state="Ready">Ready</);
    expect(payments).toMatch(/data-health="Healthy">Healthy</);
    expect((await getSync(client, syncNs, 'payments')).status?.lastAppliedRevision).toBe(`main@sha1:${B2}`);
  });
});
