// Shards: two agents with different --watch-label-selector values split the Syncs of one
// cluster without overlap; a Sync matching neither is reconciled by neither. Runs the real CLI
// (`sealops agent --once`) against the real control plane.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithCluster, adminKubeconfigPath } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { createNs, exists, getSync, setUpAgent } from './agent-harness.js';
import { configMap } from './agent-fixtures.js';
import { run, tempDir } from '../cli/helpers.js';
import type { KubeClient } from '../../src/kube/index.js';

let client: KubeClient;
let agentNs: string;
let ns: string;
let repo: TestRepo;
let work: Awaited<ReturnType<typeof tempDir>>;

beforeAll(async () => {
  ({ client, agentNs } = await setUpAgent());
  ns = await createNs(client, 'shards');
  work = await tempDir();
  repo = createRepo();
  repo.commitFiles({ 'a/cm.yaml': configMap(ns, 'from-a', { shard: 'a' }), 'b/cm.yaml': configMap(ns, 'from-b', { shard: 'b' }), 'none/cm.yaml': configMap(ns, 'from-none', { shard: 'none' }) });
  for (const [name, shard] of [['sync-a', 'a'], ['sync-b', 'b'], ['sync-none', undefined]] as const) {
    await client.request('POST', `/apis/sealops.dev/v1alpha1/namespaces/${ns}/syncs`, {
      body: {
        apiVersion: 'sealops.dev/v1alpha1',
        kind: 'Sync',
        metadata: { name, ...(shard ? { labels: { 'sealops.dev/shard': shard } } : {}) },
        spec: { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: shard ?? 'none' },
      },
    });
  }
});
afterAll(async () => {
  repo?.cleanup();
  await work?.cleanup();
  client?.close();
});

function shard(selector: string): ReturnType<typeof run> {
  return run(['agent', '--once', '--kubeconfig', adminKubeconfigPath(), '--namespace', ns, '--agent-namespace', agentNs, '--work-dir', work.dir, '--watch-label-selector', selector], { cwd: work.dir });
}

describeWithCluster('two agents with different --watch-label-selector', () => {
  it('each reconcile only their own Syncs, and a Sync in no shard is left alone', async () => {
    const a = await shard('sealops.dev/shard=a');
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${ns}/sync-a\tReady\t`))]);
    expect(await exists(client, `/api/v1/namespaces/${ns}/configmaps/from-a`)).toBe(true);
    expect(await exists(client, `/api/v1/namespaces/${ns}/configmaps/from-b`)).toBe(false);
    expect((await getSync(client, ns, 'sync-b')).status).toBeUndefined();

    const b = await shard('sealops.dev/shard=b');
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^${ns}/sync-b\tReady\t`))]);
    expect(await exists(client, `/api/v1/namespaces/${ns}/configmaps/from-b`)).toBe(true);

    expect(await exists(client, `/api/v1/namespaces/${ns}/configmaps/from-none`)).toBe(false);
    expect((await getSync(client, ns, 'sync-none')).status).toBeUndefined();
  });

  it('refuses a selector the API server cannot parse, naming it', async () => {
    const bad = await shard('sealops.dev/shard in (a');
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/sealops: error: failed to list Syncs: .*unable to parse requirement|sealops: error: failed to list Syncs: .*parse/i);
  });
});
