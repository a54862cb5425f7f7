// The per-file cap holds before the download, end to end: over the real smart-HTTP git server
// (which allows partial-clone filters, as GitHub and GitLab do), a 50 MB file under the Sync's
// path is refused by name without the agent ever storing it, and the same repository still
// syncs once the file is gone.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { describeWithCluster } from '../support/kube.js';
import { createRepo, folderBytes, serveHttp, type HttpGitServer, type TestRepo } from '../support/git-servers.js';
import { AgentRunner, createNs, createSync, exists, getSync, setUpAgent } from './agent-harness.js';
import { configMap } from './agent-fixtures.js';
import type { KubeClient } from '../../src/index.js';

const BLOB_BYTES = 50 * 1024 * 1024;

describeWithCluster('the per-file cap of a source served over smart HTTP', () => {
  let client: KubeClient;
  let agentNs: string;
  let syncNs: string;
  let repo: TestRepo;
  let server: HttpGitServer;
  let runner: AgentRunner;

  beforeAll(async () => {
    ({ client, agentNs } = await setUpAgent());
    syncNs = await createNs(client, 'caps-http');
    repo = createRepo();
    server = await serveHttp(repo.bareDir);
    await client.request('POST', `/api/v1/namespaces/${syncNs}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'git-auth' }, stringData: { username: server.username, password: server.token } },
    });
    runner = new AgentRunner(client, agentNs);
  });
  afterAll(async () => {
    await server?.stop();
    runner?.cleanup();
    repo?.cleanup();
    client?.close();
  });

  it('refuses a 50 MB file under the path by name, applies nothing and never stores the file', async () => {
    // Random bytes: no compression can hide the blob if it were downloaded.
    repo.commitFiles({ 'deploy/cm.yaml': configMap(syncNs, 'capped', { a: 'b' }), 'deploy/blob.bin': randomBytes(BLOB_BYTES) }, 'big');
    await createSync(client, syncNs, 'apps', { source: { url: server.url, ref: { branch: 'main' }, secretRef: { name: 'git-auth' } }, path: 'deploy', interval: '1h' });
    const outcome = await runner.reconcile(syncNs, 'apps');
    expect(outcome.reason).toBe('SourceRefused');
    expect(outcome.message).toContain(`deploy/blob.bin is over the ${8 * 1024 * 1024}-byte per-file limit`);
    expect(await exists(client, `/api/v1/namespaces/${syncNs}/configmaps/capped`)).toBe(false);
    expect((await getSync(client, syncNs, 'apps')).status?.lastAppliedRevision).toBeUndefined();
    // The agent's bare repository holds the commit and the small files only, not the 50 MB.
    expect(folderBytes(runner.workRoot)).toBeLessThan(BLOB_BYTES / 10);
    // No git command fetched the left-out blob on demand: such a fetch carries no credentials.
    expect(server.requests.filter((r) => r.status !== 200)).toEqual([]);
  });

  it('syncs the same repository once the big file is gone', async () => {
    const head = repo.commitFiles({ 'deploy/blob.bin': null }, 'drop big');
    const outcome = await runner.reconcile(syncNs, 'apps');
    expect(outcome.reason).toBe('ReconciliationSucceeded');
    expect(outcome.revision).toBe(`main@sha1:${head}`);
    expect(await exists(client, `/api/v1/namespaces/${syncNs}/configmaps/capped`)).toBe(true);
    expect(folderBytes(runner.workRoot)).toBeLessThan(BLOB_BYTES / 10);
  });
});
