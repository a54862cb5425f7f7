// Graceful shutdown of `sealops agent` (the built CLI, long-running): a SIGTERM in the middle of
// an apply ends the agent cleanly: it exits 0, releases the Lease, and the next agent converges.
// Needs `npm run build` first (npm test does it): the agent runs dist/cli/sealops.js.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { describeWithCluster, eventually } from '../support/kube.js';
import { serveFile, type TestRepo } from '../support/git-servers.js';
import { freePort } from '../cluster/process.js';
import { condition, createSync, getSync, secretValues, setUpAgentProcess, spawnAgent, type ClusterKeys } from './agent-harness.js';
import { configMap, largeSecret } from './agent-fixtures.js';
import { sealSops } from '../../src/formats/sops/index.js';
import type { KubeClient } from '../../src/kube/client.js';

const KEYS = 500;

let client: KubeClient;
let agentNs: string;
let keys: ClusterKeys;
let repo: TestRepo;
let syncNs: string;
let appNs: string;
let workDir: string;
let agent: ChildProcess | undefined;
let stderr = '';

function startAgent(port: number, identity: string): ChildProcess {
  return spawnAgent({ syncNs, agentNs, workDir, port, identity, leaseSeconds: 4 }, (t) => (stderr += t));
}

describeWithCluster('the agent shut down gracefully', () => {
  beforeAll(async () => {
    ({ keys, client, agentNs, syncNs, appNs, workDir, repo } = await setUpAgentProcess('alive'));
    repo.commitFiles({ 'big.sops.yaml': await sealSops(largeSecret(appNs, KEYS), { recipients: [keys.ageRecipient], format: 'yaml' }) }, 'a sealed Secret');
  }, 300_000);

  afterAll(() => {
    agent?.kill('SIGKILL');
    repo?.cleanup();
    client?.close();
  });

  it('on SIGTERM in the middle of an apply exits 0, releases its Lease, and the next agent converges', async () => {
    agent = startAgent(await freePort(), 'alive-a');
    await createSync(client, syncNs, 'big', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, interval: '1h' });
    await eventually('the first commit to be applied', async () => (condition(await getSync(client, syncNs, 'big'), 'Ready') === 'True' ? true : undefined), 120_000);
    expect(Object.keys((await secretValues(client, appNs, 'big')) ?? {})).toHaveLength(KEYS);
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`cm/${String(i).padStart(3, '0')}.yaml`] = configMap(appNs, `cm-${i}`, { i: String(i) });
    repo.commitFiles(files, 'many objects');
    await client.request('PATCH', `/apis/sealops.dev/v1alpha1/namespaces/${syncNs}/syncs/big`, { body: { spec: { interval: '2s' } }, contentType: 'application/merge-patch+json' });
    const owned = async (): Promise<number> =>
      (await client.request<{ items: unknown[] }>('GET', `/api/v1/namespaces/${appNs}/configmaps`, { query: { labelSelector: 'sealops.dev/name=big' } })).items.length;
    await eventually('the apply of the new commit to start', async () => ((await owned()) > 0 ? true : undefined), 120_000);
    const exited = new Promise<number | null>((r) => agent!.once('exit', (code) => r(code)));
    agent.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('agent stopped');
    const lease = await client.request<{ spec: { holderIdentity?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${agentNs}/leases/sealops-agent`);
    expect(lease.spec.holderIdentity ?? '').toBe('');

    agent = startAgent(await freePort(), 'alive-b');
    await eventually(
      'the next agent to converge',
      async () => {
        const s = await getSync(client, syncNs, 'big');
        return condition(s, 'Ready') === 'True' && s.status?.lastAppliedRevision === `main@sha1:${repo.head()}` && (await owned()) === 300 ? true : undefined;
      },
      180_000,
    );
  });
});
