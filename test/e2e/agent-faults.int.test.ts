// Faults, end to end through `sealops agent --once` (run in-process): git server unreachable,
// auth refused, ref missing, host key mismatch. The status says so, the exit status is 1, the
// cluster keeps its last applied state, and no credential reaches logs, status or events.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithCluster, adminKubeconfigPath } from '../support/kube.js';
import { createRepo, serveHttp, serveSsh, type HttpGitServer, type SshGitServer, type TestRepo } from '../support/git-servers.js';
import { createNs, createSync, exists, getSync, makeClusterKeys, patchSyncSpec, publishedText, setUpAgent } from './agent-harness.js';
import { configMap } from './agent-fixtures.js';
import { run } from '../cli/helpers.js';
import type { KubeClient } from '../../src/kube/client.js';

let client: KubeClient;
let agentNs: string;
let syncNs: string;
let repo: TestRepo;
let http: HttpGitServer;
let ssh: SshGitServer;
let workDir: string;
const stderr: string[] = [];

async function agentOnce(): Promise<{ code: number; stdout: string }> {
  const r = await run(['agent', '--once', '--kubeconfig', adminKubeconfigPath(), '--namespace', syncNs, '--agent-namespace', agentNs, '--work-dir', workDir], { cwd: process.cwd() });
  stderr.push(r.stderr);
  return { code: r.status, stdout: r.stdout };
}

async function ready(name: string): Promise<{ status?: string; reason?: string; applied?: string }> {
  const s = await getSync(client, syncNs, name);
  const c = s.status?.conditions?.find((x) => x.type === 'Ready');
  return { status: c?.status, reason: c?.reason, applied: s.status?.lastAppliedRevision };
}

async function setSecret(name: string, stringData: Record<string, string>): Promise<void> {
  await client.request('PATCH', `/api/v1/namespaces/${syncNs}/secrets/${name}`, {
    body: { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData },
    contentType: 'application/apply-patch+yaml',
    query: { fieldManager: 'sealops-test', force: 'true' },
  });
}

describeWithCluster('sealops agent --once when git fails', () => {
  let appNs: string;
  let firstRevision: string;

  beforeAll(async () => {
    ({ client, agentNs } = await setUpAgent(makeClusterKeys()));
    syncNs = await createNs(client, 'faults');
    appNs = await createNs(client, 'faults-app');
    workDir = mkdtempSync(join(tmpdir(), 'sealops-agent-cli-'));
    repo = createRepo();
    repo.commitFiles({ 'web/cm.yaml': configMap(appNs, 'kept', { v: '1' }), 'ssh/cm.yaml': configMap(appNs, 'ssh-kept', { v: '1' }) }, 'initial');
    http = await serveHttp(repo.bareDir);
    ssh = await serveSsh(repo.bareDir);
    await setSecret('http-auth', { username: http.username, password: http.token });
    await setSecret('ssh-auth', { identity: readFileSync(ssh.privateKeyPath, 'utf8'), known_hosts: readFileSync(ssh.knownHostsPath, 'utf8') });
    await createSync(client, syncNs, 'web', { source: { url: http.url, ref: { branch: 'main' }, secretRef: { name: 'http-auth' } }, path: 'web' });
    await createSync(client, syncNs, 'ssh', { source: { url: ssh.url, ref: { branch: 'main' }, secretRef: { name: 'ssh-auth' } }, path: 'ssh' });
  });
  afterAll(async () => {
    await http?.stop();
    await ssh?.stop();
    repo?.cleanup();
    client?.close();
  });

  it('exits 0 and reports every Sync Ready when both sources are healthy', async () => {
    const run = await agentOnce();
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`${syncNs}/web\tReady\tReconciliationSucceeded\tmain@sha1:${repo.head()}`);
    expect(run.stdout).toContain(`${syncNs}/ssh\tReady`);
    firstRevision = `main@sha1:${repo.head()}`;
    expect(await exists(client, `/api/v1/namespaces/${appNs}/configmaps/kept`)).toBe(true);
  });

  it('reports refused HTTP credentials, exits 1 and keeps the applied objects', async () => {
    await setSecret('http-auth', { username: http.username, password: 'wrong-token-0123456789' });
    repo.commitFiles({ 'web/cm.yaml': null }, 'would prune');
    const run = await agentOnce();
    expect(run.code).toBe(1);
    expect(await ready('web')).toEqual({ status: 'False', reason: 'GitAuthenticationFailed', applied: firstRevision });
    expect(await exists(client, `/api/v1/namespaces/${appNs}/configmaps/kept`)).toBe(true);
    await setSecret('http-auth', { username: http.username, password: http.token });
    repo.commitFiles({ 'web/cm.yaml': configMap(appNs, 'kept', { v: '1' }) }, 'restore');
  });

  it('reports a missing branch as GitRefNotFound', async () => {
    await patchSyncSpec(client, syncNs, 'web', { source: { ref: { branch: 'does-not-exist' } } });
    const run = await agentOnce();
    expect(run.code).toBe(1);
    expect(await ready('web')).toMatchObject({ status: 'False', reason: 'GitRefNotFound', applied: firstRevision });
    await patchSyncSpec(client, syncNs, 'web', { source: { ref: { branch: 'main' } } });
  });

  it('reports an SSH host key that does not match known_hosts', async () => {
    const other = await serveSsh(repo.bareDir);
    try {
      // known_hosts of another server: same address pattern, different host key.
      const wrongHosts = readFileSync(other.knownHostsPath, 'utf8').replace(`:${other.port}]`, `:${ssh.port}]`);
      await setSecret('ssh-auth', { identity: readFileSync(ssh.privateKeyPath, 'utf8'), known_hosts: wrongHosts });
      const run = await agentOnce();
      expect(run.code).toBe(1);
      expect(await ready('ssh')).toMatchObject({ status: 'False', reason: 'GitAuthenticationFailed' });
    } finally {
      await other.stop();
    }
  });

  it('reports an SSH key the server does not accept', async () => {
    await setSecret('ssh-auth', { identity: readFileSync(ssh.strangerKey(), 'utf8'), known_hosts: readFileSync(ssh.knownHostsPath, 'utf8') });
    const run = await agentOnce();
    expect(run.code).toBe(1);
    expect(await ready('ssh')).toMatchObject({ status: 'False', reason: 'GitAuthenticationFailed' });
  });

  it('reports an unreachable git server and keeps the cluster as it was', async () => {
    const before = (await ready('web')).applied;
    expect(before).toBe(`main@sha1:${repo.head()}`);
    await http.stop();
    // A stopped server's port goes back to the pool, and another test file's git server (with
    // token auth) may take it; the URL keeps the host and path but names port 1, where nothing
    // on this machine listens, so the server is unreachable whatever runs alongside.
    const unreachable = new URL(http.url);
    unreachable.port = '1';
    await patchSyncSpec(client, syncNs, 'web', { source: { url: unreachable.toString() } });
    const run = await agentOnce();
    expect(run.code).toBe(1);
    expect(await ready('web')).toMatchObject({ status: 'False', reason: 'GitUnreachable', applied: before });
    expect(await exists(client, `/api/v1/namespaces/${appNs}/configmaps/kept`)).toBe(true);
  });

  it('never prints or publishes a git credential', async () => {
    const logs = stderr.join('');
    expect(logs.length).toBeGreaterThan(0);
    const published = (await publishedText(client, syncNs, 'web')) + (await publishedText(client, syncNs, 'ssh'));
    const key = readFileSync(ssh.privateKeyPath, 'utf8');
    const keyBody = key.split('\n')[1]!;
    for (const secret of [http.token, 'wrong-token-0123456789', keyBody]) {
      expect(logs).not.toContain(secret);
      expect(published).not.toContain(secret);
    }
    writeFileSync(join(workDir, 'logs.txt'), logs);
  });
});
