// A repository that takes long to decrypt does not starve the agent: while `sealops agent` (the
// built CLI, long-running, building and decrypting in its worker thread) opens eight legitimate
// SOPS Secrets of four thousand keys each (sealed by the real sops), /healthz keeps answering and
// the leader Lease keeps being renewed. "While" is established by order, never by time: an answer
// counts only when it arrived after the Sync said Reconciling=True for the commit (set after the
// fetch, before build and decrypt) and before the agent logged the end of decryption ("built") or
// the Sync's inventory listed the Secrets (recorded after decrypt, before the apply). The outcomes
// asserted hold however fast or loaded the machine is: every probe in that window was answered,
// the Lease was renewed in it, the leader kept its term through it, and the Secrets are applied in
// the end (a loaded API server may still cost the leader its term during the apply: the next
// reconcile, served by the memos, carries on). With the decrypt stage run inline, the Lease is not
// renewed while the loop is stalled, and the term ends before decryption does: this test fails.
// The deadline test uses four times the values (sixteen Secrets of eight thousand keys), far more
// than a 1 s limit allows on any machine. Their blobs reach the agent in an earlier commit, under a hidden folder
// the build does not read, so the commit that puts them in place fetches in a moment: what the
// deadline cuts short is the build and decryption, not the fetch.
// Needs `npm run build` first (npm test does it): the agent runs dist/cli/sealops.js.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { parse } from 'yaml';
import { describeWithCluster, eventually } from '../support/kube.js';
import { serveFile, type TestRepo } from '../support/git-servers.js';
import { freePort } from '../cluster/process.js';
import { condition, createSync, getSync, waitForReconcileStart, leaseRenewTime, patchSyncSpec, secretValue, secretValues, setUpAgentProcess, sopsSeal, spawnAgent, stopAgent, type ClusterKeys } from './agent-harness.js';
import { largeSecret } from './agent-fixtures.js';
import type { KubeClient } from '../../src/kube/client.js';
import type { SyncObject } from '../../src/agent/sync.js';

// Seconds of decryption (the parser is linear: size buys time); each Secret stays far below the
// API server's 1 MiB.
const KEYS = 4_000;
const FILES = 8;
// The deadline test: four times the values, never applied (1.3 MiB sealed each).
const HEAVIER_KEYS = 8_000;
const HEAVIER_FILES = 16;

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

/** `count` Secrets big-0… of `size` keys, `canary` the value of key `canary` in each, sealed and scope-bound by the real sops (quick to seal). */
function heavyFiles(canary: string, count: number, size: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let f = 0; f < count; f++) files[`big-${f}.sops.yaml`] = sopsSeal(parse(largeSecret(appNs, size, canary, `big-${f}`)) as Record<string, unknown>, keys.ageRecipient);
  return files;
}

function syncReady(s: SyncObject): { status?: string; reason?: string } | undefined {
  return s.status?.conditions?.find((c) => c.type === 'Ready');
}

describeWithCluster('the agent decrypting a heavy repository', () => {
  beforeAll(async () => {
    ({ keys, client, agentNs, syncNs, appNs, workDir, repo } = await setUpAgentProcess('heavy'));
    repo.commitFiles(heavyFiles(canary, FILES, KEYS), 'large sealed Secrets');
  }, 300_000);

  afterAll(async () => {
    await stopAgent(agent);
    repo?.cleanup();
    client?.close();
  });

  it('answers /healthz and renews its Lease while it decrypts, then applies the Secrets', async () => {
    port = await freePort();
    agent = spawnAgent({ syncNs, agentNs, workDir, port, identity: 'heavy-a', leaseSeconds: 4 }, (t) => (stderr += t));
    await createSync(client, syncNs, 'big', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, interval: '1h' });
    const revision = `main@sha1:${repo.head()}`;

    // Wait for the reconcile of this commit to have passed its fetch.
    await waitForReconcileStart(client, syncNs, 'big', revision, agent, () => stderr);
    let healthyDuring = 0;
    let unhealthyDuring = 0;
    const renewalsDuring = new Set<string>();
    let reason: string | undefined;
    for (;;) {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
      const renewed = await leaseRenewTime(client, agentNs);
      // Both answers above came before these reads: if decryption has not ended yet, they came while it ran.
      const decrypted = stderr.includes('"msg":"built"');
      const s = await getSync(client, syncNs, 'big');
      if (decrypted || s.status?.inventory?.entries?.length) break;
      if (syncReady(s)?.status === 'False' || agent.exitCode !== null || stderr.includes('reconcile abandoned')) {
        reason = stderr.includes('reconcile abandoned') ? 'reconcile abandoned' : syncReady(s)?.reason;
        break;
      }
      if (health === 200) healthyDuring++;
      else unhealthyDuring++;
      if (renewed) renewalsDuring.add(renewed);
    }
    // Decryption carried through as leader: it failed for no reason, and the term did not end
    // while it ran (LeadershipLost, logged as 'reconcile abandoned').
    expect(reason).toBeUndefined();
    // Every probe made while it built and decrypted was answered (however many the machine's
    // speed allowed), and two different renewTimes were seen in that time: the Lease was renewed.
    expect(unhealthyDuring).toBe(0);
    expect(healthyDuring).toBeGreaterThanOrEqual(1);
    expect(renewalsDuring.size).toBeGreaterThanOrEqual(2);
    await eventually('the Sync to be Ready', async () => (condition(await getSync(client, syncNs, 'big'), 'Ready') === 'True' ? true : undefined), 240_000);
    for (let f = 0; f < FILES; f++) {
      const values = (await secretValues(client, appNs, `big-${f}`)) ?? {};
      expect(Object.keys(values)).toHaveLength(KEYS);
      expect(values.canary).toBe(canary);
    }
    expect(stderr).not.toContain(canary);
  }, 400_000);

  it('stops a build and decryption past spec.timeout (ReconcileTimeout) by ending its worker, and applies nothing', async () => {
    const second = secretValue('heavy-second');
    const heavier = heavyFiles(second, HEAVIER_FILES, HEAVIER_KEYS);
    // The blobs first, where the build does not look, applied under the old limit: the fetch of
    // the commit below then brings trees only.
    repo.commitFiles(Object.fromEntries(Object.entries(heavier).map(([path, text]) => [`.next/${path}`, text])), 'larger Secrets, staged');
    const staged = `main@sha1:${repo.head()}`;
    // A spec change reconciles at once (the interval is an hour).
    await patchSyncSpec(client, syncNs, 'big', { timeout: '10m' });
    await eventually(
      'the staged commit to be applied',
      async () => ((await getSync(client, syncNs, 'big')).status?.lastAppliedRevision === staged ? true : undefined),
      240_000,
    );
    // The limit first, and observed, so no reconcile under the old limit can pick up the commit
    // below; 1 s is far less than reading and decrypting 128,000 sealed values takes on any machine.
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
    repo.commitFiles({ ...heavier, ...Object.fromEntries(Object.keys(heavier).map((path) => [`.next/${path}`, null])) }, 'larger Secrets, put in place');
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
  }, 400_000);
});
