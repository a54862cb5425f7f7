// The agent with `spec.source.verify` end to end, against the real control plane and the real
// smart-HTTP git server (token auth, so the Sync reads two Secrets): commits signed with an SSH
// key made by the real ssh-keygen are applied; an unsigned commit and one signed by another key
// are refused with reason SignatureVerificationFailed, and the cluster keeps its last state.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithCluster } from '../support/kube.js';
import { createRepo, git, serveHttp, type HttpGitServer, type TestRepo } from '../support/git-servers.js';
import { AgentRunner, createNs, createSync, exists, getSync, patchSyncSpec, setUpAgent } from './agent-harness.js';
import { configMap } from './agent-fixtures.js';
import type { KubeClient } from '../../src/kube/client.js';

let client: KubeClient;
let agentNs: string;

beforeAll(async () => {
  ({ client, agentNs } = await setUpAgent());
});
afterAll(() => client?.close());

describeWithCluster('the agent with commit-signature verification', () => {
  let keysDir: string;
  let repo: TestRepo;
  let server: HttpGitServer;
  let runner: AgentRunner;
  let ns: string;
  const name = 'signed';
  const cmPath = (n: string): string => `/api/v1/namespaces/${ns}/configmaps/${n}`;

  const newKey = (label: string): string => {
    const path = join(keysDir, label);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', label, '-f', path]);
    return path;
  };
  /** Makes the next commits of the working clone signed with `key`, or unsigned. */
  const signWith = (key: string | undefined): void => {
    git(repo.workDir, ['config', 'gpg.format', 'ssh']);
    git(repo.workDir, ['config', 'commit.gpgsign', key ? 'true' : 'false']);
    if (key) git(repo.workDir, ['config', 'user.signingkey', key]);
  };
  const mode = async (): Promise<{ mode?: string; rv: string }> => {
    const cm = await client.request<{ data?: { mode?: string }; metadata: { resourceVersion: string } }>('GET', cmPath('settings'));
    return { mode: cm.data?.mode, rv: cm.metadata.resourceVersion };
  };
  const ready = async (): Promise<{ status?: string; reason?: string; message?: string }> =>
    (await getSync(client, ns, name)).status?.conditions?.find((c) => c.type === 'Ready') ?? {};

  let releaseKey: string;
  let otherKey: string;

  beforeAll(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'sealops-signers-'));
    releaseKey = newKey('release');
    otherKey = newKey('other');
    ns = await createNs(client, 'sync-verify');
    repo = createRepo();
    server = await serveHttp(repo.bareDir);
    const publicKey = readFileSync(`${releaseKey}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
    for (const [secret, stringData] of [
      ['git-auth', { username: server.username, password: server.token }],
      ['signers', { allowed_signers: `release@example.invalid ${publicKey}\n` }],
    ] as const) {
      await client.request('POST', `/api/v1/namespaces/${ns}/secrets`, { body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: secret }, stringData } });
    }
    signWith(releaseKey);
    repo.commitFiles({ 'deploy/config.yaml': configMap(ns, 'settings', { mode: 'v1' }) }, 'signed v1');
    await createSync(client, ns, name, {
      source: { url: server.url, ref: { branch: 'main' }, secretRef: { name: 'git-auth' }, verify: { mode: 'HEAD', secretRef: { name: 'signers' } } },
      path: 'deploy',
      interval: '1m',
    });
    runner = new AgentRunner(client, agentNs);
  });
  afterAll(async () => {
    await server?.stop();
    repo?.cleanup();
    runner?.cleanup();
    if (keysDir) rmSync(keysDir, { recursive: true, force: true });
  });

  it('applies a commit signed by an allowed signer', async () => {
    const outcome = await runner.reconcile(ns, name);
    expect(outcome.reason).toBe('ReconciliationSucceeded');
    expect((await mode()).mode).toBe('v1');
    expect((await getSync(client, ns, name)).status?.lastAppliedRevision).toBe(`main@sha1:${repo.head()}`);
  });

  it('refuses a following unsigned commit and leaves the cluster and lastAppliedRevision as they were', async () => {
    const applied = (await getSync(client, ns, name)).status?.lastAppliedRevision;
    const before = await mode();
    signWith(undefined);
    const sha = repo.commitFiles({ 'deploy/config.yaml': configMap(ns, 'settings', { mode: 'v2' }), 'deploy/extra.yaml': configMap(ns, 'extra', { a: '1' }) }, 'unsigned v2');
    const outcome = await runner.reconcile(ns, name);
    expect(outcome.ok).toBe(false);
    expect(outcome.reason).toBe('SignatureVerificationFailed');
    expect(outcome.message).toContain(`commit ${sha.slice(0, 12)}`);
    expect(outcome.message).toContain('not signed');
    const sync = await getSync(client, ns, name);
    expect(sync.status?.lastAppliedRevision).toBe(applied);
    expect(sync.status?.lastAttemptedRevision).toBe(`main@sha1:${sha}`);
    expect(await ready()).toMatchObject({ status: 'False', reason: 'SignatureVerificationFailed' });
    expect(await mode()).toEqual(before);
    expect(await exists(client, cmPath('extra'))).toBe(false);
    const events = await client.request<{ items: { reason?: string; note?: string; type?: string }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${ns}/events`);
    expect(events.items.some((e) => e.type === 'Warning' && e.reason === 'SignatureVerificationFailed' && e.note?.includes(sha.slice(0, 12)))).toBe(true);
  });

  it('refuses a commit signed by a key that is not an allowed signer', async () => {
    const before = await mode();
    signWith(otherKey);
    const sha = repo.commitFiles({ 'deploy/config.yaml': configMap(ns, 'settings', { mode: 'v3' }) }, 'signed by another key');
    const outcome = await runner.reconcile(ns, name);
    expect(outcome.reason).toBe('SignatureVerificationFailed');
    expect(outcome.message).toContain(`commit ${sha.slice(0, 12)}`);
    expect(outcome.message).toContain('not an allowed signer');
    expect(await mode()).toEqual(before);
  });

  it('applies again once a signed commit arrives', async () => {
    signWith(releaseKey);
    const sha = repo.commitFiles({ 'deploy/config.yaml': configMap(ns, 'settings', { mode: 'v4' }) }, 'signed v4');
    const outcome = await runner.reconcile(ns, name);
    expect(outcome.reason).toBe('ReconciliationSucceeded');
    expect((await mode()).mode).toBe('v4');
    expect((await getSync(client, ns, name)).status?.lastAppliedRevision).toBe(`main@sha1:${sha}`);
  });

  it('fails with InvalidSource and applies nothing when the verification Secret is missing', async () => {
    const before = await mode();
    await patchSyncSpec(client, ns, name, { source: { verify: { secretRef: { name: 'no-such-secret' } } } });
    signWith(undefined);
    repo.commitFiles({ 'deploy/config.yaml': configMap(ns, 'settings', { mode: 'v5' }) }, 'unsigned v5');
    const outcome = await runner.reconcile(ns, name);
    expect(outcome.reason).toBe('InvalidSource');
    expect(outcome.message).toContain(`verification secret ${ns}/no-such-secret: not found`);
    expect(await mode()).toEqual(before);
  });

  it('has the API server refuse a verify block without a secretRef', async () => {
    const err = await createSync(client, ns, 'bad-verify', { source: { url: server.url, verify: { mode: 'HEAD' } } }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/secretRef/);
    expect(await exists(client, `/apis/sealops.dev/v1alpha1/namespaces/${ns}/syncs/bad-verify`)).toBe(false);
  });
});
