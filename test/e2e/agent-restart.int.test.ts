// Crash safety and admission rejections, end to end:
// - `sealops agent --once` (the built CLI, as a child process) is killed with SIGKILL in the
//   middle of an apply; a rerun converges to the commit with every object exactly once, and
//   the objects the killed run created are owned (prunable) from then on.
// - A ValidatingAdmissionPolicy (a real admission rejection, evaluated by the API server) refuses
//   one object: the dry-run catches it, nothing is applied, and the status names the object.
// Needs `npm run build` first (npm test does it): the child runs dist/cli/sealops.js.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { adminKubeconfigPath, describeWithCluster } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { adminClient, createNs, createSync, getSync, installSyncCrd } from './agent-harness.js';
import { configMap } from './agent-fixtures.js';
import { run } from '../cli/helpers.js';
import type { KubeClient } from '../../src/kube/client.js';

const CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;
const COUNT = 600;

let client: KubeClient;
let repo: TestRepo;
let syncNs: string;
let appNs: string;
let workDir: string;

function args(): string[] {
  return ['agent', '--once', '--kubeconfig', adminKubeconfigPath(), '--namespace', syncNs, '--agent-namespace', syncNs, '--work-dir', workDir];
}

async function runOnce(): Promise<{ code: number; stdout: string }> {
  const r = await run(args(), { cwd: process.cwd() });
  return { code: r.status, stdout: r.stdout };
}

async function ownedConfigMaps(): Promise<string[]> {
  const list = await client.request<{ items: { metadata: { name: string } }[] }>('GET', `/api/v1/namespaces/${appNs}/configmaps`, {
    query: { labelSelector: `sealops.dev/name=apps,sealops.dev/namespace=${syncNs}` },
  });
  return list.items.map((i) => i.metadata.name);
}

describeWithCluster('the agent killed mid-apply', () => {
  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`failed to find ${CLI}: run npm run build first`);
    client = adminClient();
    await installSyncCrd(client);
    syncNs = await createNs(client, 'restart');
    appNs = await createNs(client, 'restart-app');
    workDir = mkdtempSync(join(tmpdir(), 'sealops-restart-'));
    repo = createRepo();
    const files: Record<string, string> = {};
    for (let i = 0; i < COUNT; i++) files[`cm/${String(i).padStart(4, '0')}.yaml`] = configMap(appNs, `cm-${i}`, { i: String(i) });
    repo.commitFiles(files, 'many');
    await createSync(client, syncNs, 'apps', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, interval: '1h' });
  });
  afterAll(() => {
    repo?.cleanup();
    client?.close();
  });

  it('converges on the rerun with every object exactly once, and owns what the killed run created', async () => {
    const child = spawn(process.execPath, [CLI, ...args(), '--concurrency', '1'], { stdio: 'ignore' });
    let atKill = 0;
    for (let i = 0; i < 600; i++) {
      atKill = (await ownedConfigMaps()).length;
      if (atKill >= 20) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(atKill).toBeGreaterThanOrEqual(20);
    const partial = (await ownedConfigMaps()).length;
    expect(partial).toBeLessThan(COUNT);
    // The killed run recorded what it was about to apply before writing anything.
    expect((await getSync(client, syncNs, 'apps')).status?.inventory?.entries).toHaveLength(COUNT);

    const rerun = await runOnce();
    expect(rerun.code).toBe(0);
    const names = await ownedConfigMaps();
    expect(names).toHaveLength(COUNT);
    expect(new Set(names).size).toBe(COUNT);
    const sync = await getSync(client, syncNs, 'apps');
    expect(sync.status?.inventory?.entries).toHaveLength(COUNT);
    expect(sync.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');

    // An object only the killed run created is pruned when it leaves git.
    repo.commitFiles({ 'cm/0000.yaml': null }, 'drop first');
    expect((await runOnce()).code).toBe(0);
    expect(await ownedConfigMaps()).not.toContain('cm-0');
    expect(await ownedConfigMaps()).toHaveLength(COUNT - 1);
  });
});

describeWithCluster('the agent facing an admission rejection', () => {
  let policyName: string;

  beforeAll(async () => {
    client = adminClient();
    await installSyncCrd(client);
    syncNs = await createNs(client, 'vap');
    appNs = await createNs(client, 'vap-app');
    workDir = mkdtempSync(join(tmpdir(), 'sealops-vap-'));
    policyName = `deny-forbidden-${appNs}`;
    await client.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies', {
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicy',
        metadata: { name: policyName },
        spec: {
          failurePolicy: 'Fail',
          matchConstraints: { resourceRules: [{ apiGroups: [''], apiVersions: ['v1'], operations: ['CREATE', 'UPDATE'], resources: ['configmaps'] }] },
          validations: [{ expression: "!has(object.data) || !('forbidden' in object.data)", message: 'the key forbidden is not allowed' }],
        },
      },
    });
    await client.request('POST', '/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings', {
      body: {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name: policyName },
        spec: { policyName, validationActions: ['Deny'], matchResources: { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': appNs } } } },
      },
    });
    repo = createRepo();
    repo.commitFiles({ 'a.yaml': configMap(appNs, 'fine', { ok: 'yes' }) }, 'initial');
    await createSync(client, syncNs, 'apps', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } } });
    expect((await runOnce()).code).toBe(0);
  });
  afterAll(async () => {
    await client.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicybindings/${policyName}`).catch(() => undefined);
    await client.request('DELETE', `/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies/${policyName}`).catch(() => undefined);
    repo?.cleanup();
    client?.close();
  });

  it('applies nothing of a change set when admission refuses one object, and says which', async () => {
    // The policy takes a moment to be enforced: probe with a dry-run create until it refuses.
    for (let i = 0; i < 100; i++) {
      const refused = await client
        .request('POST', `/api/v1/namespaces/${appNs}/configmaps`, { body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'probe' }, data: { forbidden: 'x' } }, query: { dryRun: 'All' } })
        .then(() => false, () => true);
      if (refused) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    repo.commitFiles({ 'a.yaml': configMap(appNs, 'fine', { ok: 'changed' }), 'b.yaml': stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'refused', namespace: appNs }, data: { forbidden: 'x' } }) }, 'refused');
    const run = await runOnce();
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('ApplyFailed');
    const sync = await getSync(client, syncNs, 'apps');
    const ready = sync.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).toBe('ApplyFailed');
    expect(ready?.message).toContain(`ConfigMap ${appNs}/refused (b.yaml)`);
    expect(ready?.message).toContain('the key forbidden is not allowed');
    const fine = await client.request<{ data: Record<string, string> }>('GET', `/api/v1/namespaces/${appNs}/configmaps/fine`);
    expect(fine.data.ok).toBe('yes');
    expect(await client.request('GET', `/api/v1/namespaces/${appNs}/configmaps/refused`).then(() => true, () => false)).toBe(false);
  });
});
