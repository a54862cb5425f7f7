// A repository that takes long to decrypt does not starve the agent: while `sealops agent` (the
// built CLI, long-running, decrypting in its worker thread) opens eight legitimate SOPS Secrets
// of four thousand keys each, /healthz keeps answering and the leader Lease keeps being renewed.
// "While" is established by order, never by time: an answer counts only when it arrived after
// the Sync said Reconciling=True for the commit (set after the fetch, before build and decrypt)
// and before the Sync's inventory listed the Secret (recorded after decrypt, before the apply).
// With the decrypt stage run inline the loop stalls for longer than the Lease: the term ends and
// that reconcile is abandoned (LeadershipLost), so this test fails (the next one, served by the
// decrypt memo, must not count).
// Needs `npm run build` first (npm test does it): the agent runs dist/cli/sealops.js.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWithCluster, eventually } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { freePort } from '../cluster/process.js';
import { BUILT_CLI, condition, createNs, createSync, getSync, makeClusterKeys, patchSyncSpec, secretValue, secretValues, setUpAgent, spawnAgent, type ClusterKeys } from './agent-harness.js';
import { largeSecret } from './agent-fixtures.js';
import { sealSops } from '../../src/formats/sops/index.js';
import type { KubeClient } from '../../src/kube/client.js';

// Seconds of decryption (the parser is linear: size buys time); each Secret stays far below
// the API server's 1 MiB.
const KEYS = 4_000;
const FILES = 8;

let client: KubeClient;
let agentNs: string;
let keys: ClusterKeys;
let repo: TestRepo;
let syncNs: string;
let appNs: string;
let workDir: string;
let agent: ChildProcess | undefined;
let port: number;
let stderr = '';
const canary = secretValue('heavy-canary');

/** FILES sealed Secrets big-0… of KEYS keys, `canary` the value of key `canary` in each. */
async function heavyFiles(canary: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (let f = 0; f < FILES; f++) files[`big-${f}.sops.yaml`] = await sealSops(largeSecret(appNs, KEYS, canary, `big-${f}`), { recipients: [keys.ageRecipient], format: 'yaml' });
  return files;
}

async function renewTime(): Promise<string | undefined> {
  const lease = await client.request<{ spec: { renewTime?: string } }>('GET', `/apis/coordination.k8s.io/v1/namespaces/${agentNs}/leases/sealops-agent`).catch(() => undefined);
  return lease?.spec.renewTime;
}

describeWithCluster('the agent decrypting a heavy repository', () => {
  beforeAll(async () => {
    if (!existsSync(BUILT_CLI)) throw new Error(`failed to find ${BUILT_CLI}: run npm run build first`);
    keys = makeClusterKeys();
    ({ client, agentNs } = await setUpAgent(keys));
    syncNs = await createNs(client, 'heavy');
    appNs = await createNs(client, 'heavy-app');
    workDir = mkdtempSync(join(tmpdir(), 'sealops-heavy-'));
    repo = createRepo();
    repo.commitFiles(await heavyFiles(canary), 'large sealed Secrets');
  }, 300_000);

  afterAll(() => {
    agent?.kill('SIGKILL');
    repo?.cleanup();
    client?.close();
  });

  it('answers /healthz and renews its Lease while it decrypts, then applies the Secrets', async () => {
    port = await freePort();
    agent = spawnAgent({ syncNs, agentNs, workDir, port, identity: 'heavy-a', leaseSeconds: 3 }, (t) => (stderr += t));
    await createSync(client, syncNs, 'big', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, interval: '1h' });
    const revision = `main@sha1:${repo.head()}`;

    // Wait for the reconcile of this commit to have passed its fetch.
    await eventually(
      'the reconcile to start',
      async () => {
        const s = await getSync(client, syncNs, 'big');
        if (agent!.exitCode !== null) throw new Error(`the agent exited: ${stderr}`);
        return condition(s, 'Reconciling') === 'True' && s.status?.lastAttemptedRevision === revision ? true : undefined;
      },
      120_000,
    );
    let healthyDuring = 0;
    const renewalsDuring = new Set<string>();
    let reason: string | undefined;
    for (;;) {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
      const renewed = await renewTime();
      // Both answers above came before this read: if the inventory is still empty, they came before decrypt ended.
      const s = await getSync(client, syncNs, 'big');
      if (s.status?.inventory?.entries?.length) break;
      if (condition(s, 'Ready') === 'False' || agent.exitCode !== null || stderr.includes('reconcile abandoned')) {
        reason = stderr.includes('reconcile abandoned') ? 'reconcile abandoned' : s.status?.conditions?.find((c) => c.type === 'Ready')?.reason;
        break;
      }
      if (health === 200) healthyDuring++;
      if (renewed) renewalsDuring.add(renewed);
    }
    // The first reconcile carried through: it failed for no reason, and the leader never lost its
    // term (LeadershipLost, logged as 'reconcile abandoned') while it decrypted.
    expect(reason).toBeUndefined();
    expect(stderr).not.toContain('reconcile abandoned');
    expect(healthyDuring).toBeGreaterThanOrEqual(2);
    // Three different renewTimes seen between the start of the reconcile and the end of its
    // decryption: the Lease was renewed at least twice while the agent decrypted.
    expect(renewalsDuring.size).toBeGreaterThanOrEqual(3);
    await eventually('the Sync to be Ready', async () => (condition(await getSync(client, syncNs, 'big'), 'Ready') === 'True' ? true : undefined), 120_000);
    for (let f = 0; f < FILES; f++) {
      const values = (await secretValues(client, appNs, `big-${f}`)) ?? {};
      expect(Object.keys(values)).toHaveLength(KEYS);
      expect(values.canary).toBe(canary);
    }
    expect(stderr).not.toContain(canary);
  });

  it('stops a decryption past spec.timeout (ReconcileTimeout) by ending its worker, and applies nothing', async () => {
    const second = secretValue('heavy-second');
    // The limit first, and observed, so no reconcile under the old limit can pick up the commit
    // below; 1 s is far less than decrypting eight such Secrets takes even on an idle machine.
    await patchSyncSpec(client, syncNs, 'big', { timeout: '1s' });
    await eventually(
      'the new limit to be observed',
      async () => {
        const s = await getSync(client, syncNs, 'big');
        return s.status?.observedGeneration === s.metadata.generation ? true : undefined;
      },
      120_000,
    );
    const builtBefore = stderr.split('"msg":"built"').length;
    repo.commitFiles(await heavyFiles(second), 'the large Secrets sealed again');
    const revision = `main@sha1:${repo.head()}`;
    await eventually(
      'the reconcile to time out',
      async () => {
        const s = await getSync(client, syncNs, 'big');
        const ready = s.status?.conditions?.find((c) => c.type === 'Ready');
        return ready?.status === 'False' && ready.reason === 'ReconcileTimeout' && s.status?.lastAttemptedRevision === revision ? true : undefined;
      },
      120_000,
    );
    // No decryption of the new commit ever finished (inline, it would have, and logged "built"
    // before the deadline was noticed); the agent still answers; the old Secret stays as it was.
    expect(stderr.split('"msg":"built"').length).toBe(builtBefore);
    expect(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status)).toBe(200);
    expect((await secretValues(client, appNs, 'big-0'))?.canary).toBe(canary);
    expect(stderr).not.toContain(second);
  });
});
