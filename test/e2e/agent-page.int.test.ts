// The status page and metrics of the real agent process (the built CLI), looked at in a real
// headless Chromium: two Syncs of one repository, one applied and one failing to decrypt its
// second commit, shown as the agent itself wrote them (Ready, revisions, inventory, errors, and
// whatever history or drift it records), with no byte of their sealed Secrets anywhere.
// Needs `npm run build` first (npm test does it).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { describeWithCluster, eventually } from '../support/kube.js';
import { serveFile, type TestRepo } from '../support/git-servers.js';
import { freePort } from '../cluster/process.js';
import { artifactDir, dumpDom, pngSize, screenshot } from '../support/chromium.js';
import { createSync, getSync, makeClusterKeys, publishedText, secretValue, secretValues, setUpAgentProcess, sopsSeal, spawnAgent, stopAgent, type ClusterKeys } from './agent-harness.js';
import { configMap, sealedFile, sopsFile } from './agent-fixtures.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { SyncObject } from '../../src/agent/sync.js';

let client: KubeClient;
let keys: ClusterKeys;
let repo: TestRepo;
let agentNs: string;
let syncNs: string;
let appNs: string;
let workDir: string;
let agent: ChildProcess | undefined;
let stderr = '';
let base: string;
let first: string;
let second: string;
const canaries = { sops: secretValue('page-sops-canary'), sealed: secretValue('page-sealed-canary'), foreign: secretValue('page-foreign-canary') };

function ready(s: SyncObject): { status?: string; reason?: string } {
  const c = s.status?.conditions?.find((x) => x.type === 'Ready');
  return { status: c?.status, reason: c?.reason };
}
function section(dom: string, name: string): string {
  const start = dom.indexOf(`data-sync="${syncNs}/${name}"`);
  expect(start, `section of ${name}`).toBeGreaterThan(0);
  return dom.slice(start, dom.indexOf('</section>', start));
}
function expectNoCanary(text: string, where: string): void {
  for (const [name, value] of Object.entries(canaries)) expect(text.includes(value), `${name} canary in ${where}`).toBe(false);
}
/** What the page must show for a Sync's history and drift: exactly what its status holds. */
function expectMirrors(part: string, sync: SyncObject): void {
  const rows = [...part.matchAll(/<tr data-revision="([^"]+)">/g)].map((m) => m[1]);
  expect(rows).toEqual((sync.status?.history ?? []).map((h) => h.revision));
  if (!sync.status?.history?.length) expect(part).toContain('No applied revision recorded yet.');
  if (sync.status?.drift) expect(part).toContain(`data-drift-count="${sync.status.drift.objects.length}"`);
  else expect(part).toContain('No drift check has run yet.');
}

describeWithCluster('the status page and metrics of the running agent', () => {
  beforeAll(async () => {
    ({ keys, client, agentNs, syncNs, appNs, workDir, repo } = await setUpAgentProcess('page'));
    first = repo.commitFiles(
      {
        'alpha/config.yaml': configMap(appNs, 'alpha-settings', { mode: 'one' }),
        'alpha/db.sops.yaml': sopsFile(appNs, canaries.sops, keys),
        'beta/config.yaml': configMap(appNs, 'beta-settings', { mode: 'one' }),
        'beta/token.yaml': sealedFile(appNs, canaries.sealed, keys),
      },
      'two apps',
    );
    const source = { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } };
    await createSync(client, syncNs, 'alpha', { source, path: 'alpha', interval: '2s' });
    await createSync(client, syncNs, 'beta', { source, path: 'beta', interval: '2s' });
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    agent = spawnAgent({ syncNs, agentNs, workDir, port, identity: 'page-a', leaseSeconds: 15 }, (t) => (stderr += t));
    await eventually(
      'both Syncs to apply the first commit',
      async () => {
        const all = await Promise.all(['alpha', 'beta'].map((n) => getSync(client, syncNs, n)));
        return all.every((s) => ready(s).status === 'True' && s.status?.lastAppliedRevision === `main@sha1:${first}`) ? true : undefined;
      },
      180_000,
    );
    expect(await secretValues(client, appNs, 'api-token')).toEqual({ token: canaries.sealed });
    // The second commit: alpha changes a value; beta gains a Secret sealed for another cluster's key.
    second = repo.commitFiles(
      {
        'alpha/config.yaml': configMap(appNs, 'alpha-settings', { mode: 'two' }),
        'beta/foreign.sops.yaml': sopsSeal({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'foreign', namespace: appNs }, stringData: { key: canaries.foreign } }, makeClusterKeys().ageRecipient),
      },
      'a change and a foreign Secret',
    );
    await eventually(
      'alpha to apply and beta to fail the second commit',
      async () => {
        const [a, b] = await Promise.all(['alpha', 'beta'].map((n) => getSync(client, syncNs, n)));
        const done = ready(a!).status === 'True' && a!.status?.lastAppliedRevision === `main@sha1:${second}` && ready(b!).reason === 'DecryptionFailed' && b!.status?.lastAttemptedRevision === `main@sha1:${second}`;
        return done ? true : undefined;
      },
      180_000,
    );
  }, 420_000);

  afterAll(async () => {
    await stopAgent(agent);
    repo?.cleanup();
    client?.close();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('serves the page with strict headers and refuses a write', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'unsafe-inline'/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expectNoCanary(await res.text(), 'the page');
    expect((await fetch(`${base}/`, { method: 'POST', body: 'suspend=true' })).status).toBe(405);
  });

  it('shows in Chromium what the agent wrote: states, revisions, inventory, the last error, history and drift as in status', async () => {
    const dom = await dumpDom(`${base}/`);
    const [a, b] = await Promise.all(['alpha', 'beta'].map((n) => getSync(client, syncNs, n)));
    expect(dom).toContain('<span id="sync-count">2</span>');
    expect(dom).not.toMatch(/<(script|form|img|link)\b/i);

    const alpha = section(dom, 'alpha');
    expect(alpha).toMatch(/data-state="Ready">Ready</);
    expect(alpha).toContain(`<dd data-field="applied"><code>main@sha1:${second}</code>`);
    expect(alpha).toContain(`<dd data-field="inventory">${a!.status!.inventory!.entries.length}</dd>`);
    expect(a!.status!.inventory!.entries).toHaveLength(2);
    expect(alpha).not.toContain('class="errors"');
    expectMirrors(alpha, a!);
    // The agent records each applied revision: the page lists both commits, newest first.
    expect([...alpha.matchAll(/<tr data-revision="([^"]+)">/g)].map((m) => m[1])).toEqual([`main@sha1:${second}`, `main@sha1:${first}`]);
    expect(alpha).toContain(`<dd data-field="agent-version">${a!.status!.agentVersion}</dd>`);

    const beta = section(dom, 'beta');
    expect(beta).toMatch(/data-state="(Stalled|Failed)">/);
    expect(beta).toContain(`<dd data-field="applied"><code>main@sha1:${first}</code>`);
    expect(beta).toContain(`<dd data-field="attempted"><code>main@sha1:${second}</code> <span class="badge bad">not applied</span>`);
    expect(beta).toMatch(/<div class="errors">.*<strong>Ready, Stalled: DecryptionFailed<\/strong>/s);
    expect(beta).toContain('foreign');
    expectMirrors(beta, b!);
    expect([...beta.matchAll(/<tr data-revision="([^"]+)">/g)].map((m) => m[1])).toEqual([`main@sha1:${first}`]);

    expectNoCanary(dom, 'the DOM');
  });

  it('takes a screenshot of both Syncs: a real PNG of the window size', async () => {
    const file = join(artifactDir('agent-page'), 'agent-status-page.png');
    const png = await screenshot(`${base}/`, file, 1280, 1400);
    expect(pngSize(png)).toEqual({ width: 1280, height: 1400 });
    expect(png.length).toBeGreaterThan(30_000);
    expectNoCanary(png.toString('latin1'), 'the screenshot file');
    console.log(`agent status page screenshot: ${file}`);
  });

  it('exports stage histograms, readiness, reasons and process metrics on prom-client, and no secret', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const stage of ['source', 'build', 'decrypt', 'apply', 'prune', 'status']) {
      expect(Number(new RegExp(`^sealops_reconcile_stage_duration_seconds_count\\{stage="${stage}"\\} (\\d+)$`, 'm').exec(text)?.[1]), stage).toBeGreaterThan(0);
    }
    expect(text).toContain(`sealops_sync_ready{namespace="${syncNs}",name="alpha"} 1`);
    expect(text).toContain(`sealops_sync_ready{namespace="${syncNs}",name="beta"} 0`);
    expect(text).toMatch(/^sealops_reconcile_total\{result="failure",reason="DecryptionFailed"\} [1-9]/m);
    expect(text).toMatch(/^sealops_reconcile_total\{result="success",reason="ReconciliationSucceeded"\} [1-9]/m);
    expect(text).toMatch(/^sealops_reconcile_duration_seconds_bucket\{le="\+Inf"\} [1-9]/m);
    expect(text).toMatch(/^sealops_api_requests_total [1-9]/m);
    expect(text).toMatch(/^process_resident_memory_bytes [1-9]/m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes [1-9]/m);
    expectNoCanary(text, 'the metrics');
  });

  it('leaks no secret byte into logs, status or events either', async () => {
    expectNoCanary(stderr, 'the agent log');
    for (const name of ['alpha', 'beta']) expectNoCanary(await publishedText(client, syncNs, name), `status and events of ${name}`);
  });
});
