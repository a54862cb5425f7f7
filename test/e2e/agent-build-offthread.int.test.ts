// A repository whose plain manifests are crafted to be ruinous to parse does not starve the agent
// or kill it: `sealops agent` (the built CLI, long-running) parses a folder without a
// kustomization in its worker thread, whose heap is capped. The crafted file is 6 MiB of
// flow-style YAML (under the 8 MiB per-file cap) that the YAML library needs 12 s and 1.7 GB to
// read. While it is built, /healthz answers and the leader Lease is renewed; the build then
// fails with BuildFailed naming the file, nothing is applied, and the agent lives on to apply
// the next commit.
// "While" is established by order, never by time: an answer counts only when it came after the
// Sync said Reconciling=True for the commit (set after the fetch, before the build) and before
// the Sync said Ready=False for it. Parsed inline, the file stalls the loop past the Lease (the
// reconcile is abandoned), or, with memory to spare, is read whole and fails at the apply
// instead: this test fails either way.
// Needs `npm run build` first (npm test does it): the agent runs dist/cli/sealops.js.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { describeWithCluster, eventually } from '../support/kube.js';
import { serveFile, type TestRepo } from '../support/git-servers.js';
import { freePort } from '../cluster/process.js';
import { condition, createSync, exists, waitForReconcileStart, getSync, leaseRenewTime, setUpAgentProcess, spawnAgent, stopAgent } from './agent-harness.js';
import type { KubeClient } from '../../src/kube/client.js';

const CRAFTED = 'app/zz-crafted.yaml';

let client: KubeClient;
let agentNs: string;
let repo: TestRepo;
let syncNs: string;
let appNs: string;
let workDir: string;
let agent: ChildProcess | undefined;
let stderr = '';

/** 6 MiB of one flow sequence of one-character scalars: each costs the parser hundreds of bytes. */
function crafted(namespace: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: crafted, namespace: ${namespace}}\ndata: {}\nitems: [${'0,'.repeat(3 * 1024 * 1024)}0]\n`;
}

function configMap(namespace: string, name: string): string {
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\ndata:\n  mode: plain\n`;
}

function ready(s: Awaited<ReturnType<typeof getSync>>): { status?: string; reason?: string; message?: string } | undefined {
  return s.status?.conditions?.find((c) => c.type === 'Ready');
}

describeWithCluster('the agent building a crafted repository', () => {
  beforeAll(async () => {
    ({ client, agentNs, syncNs, appNs, workDir, repo } = await setUpAgentProcess('crafted'));
    repo.commitFiles({ 'app/settings.yaml': configMap(appNs, 'settings'), [CRAFTED]: crafted(appNs) }, 'a manifest crafted to exhaust the parser');
  }, 300_000);

  afterAll(async () => {
    await stopAgent(agent);
    repo?.cleanup();
    client?.close();
  });

  it('answers /healthz and renews its Lease while it builds, fails the Sync with BuildFailed naming the file, and lives on', async () => {
    const port = await freePort();
    agent = spawnAgent({ syncNs, agentNs, workDir, port, identity: 'crafted-a', leaseSeconds: 3 }, (t) => (stderr += t));
    await createSync(client, syncNs, 'crafted', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'app', interval: '1h' });
    const revision = `main@sha1:${repo.head()}`;

    await waitForReconcileStart(client, syncNs, 'crafted', revision, agent, () => stderr);
    let healthyDuring = 0;
    let unhealthyDuring = 0;
    const renewalsDuring = new Set<string>();
    let outcome: ReturnType<typeof ready>;
    for (;;) {
      const health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 0);
      const renewed = await leaseRenewTime(client, agentNs);
      // Both answers above came before this read: if the Sync is still not Ready=False, they came while it built.
      const s = await getSync(client, syncNs, 'crafted');
      if (ready(s)?.status === 'False' || agent.exitCode !== null || stderr.includes('reconcile abandoned')) {
        outcome = ready(s);
        break;
      }
      if (health === 200) healthyDuring++;
      else unhealthyDuring++;
      if (renewed) renewalsDuring.add(renewed);
    }
    expect(agent.exitCode).toBeNull();
    expect(stderr).not.toContain('reconcile abandoned');
    expect(outcome?.reason).toBe('BuildFailed');
    expect(outcome?.message).toContain(`failed to build ${CRAFTED}: reading it needs more memory than the`);
    // Every probe made while it built was answered, and the Lease was renewed meanwhile (two renewTimes seen).
    expect(unhealthyDuring).toBe(0);
    expect(healthyDuring).toBeGreaterThanOrEqual(1);
    expect(renewalsDuring.size).toBeGreaterThanOrEqual(2);
    // Nothing of the failed commit was applied.
    expect(await exists(client, `/api/v1/namespaces/${appNs}/configmaps/settings`)).toBe(false);

    // Alive: it answers, and applies the next commit.
    expect(await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status)).toBe(200);
    repo.commitFiles({ [CRAFTED]: null }, 'the crafted manifest removed');
    const fixed = `main@sha1:${repo.head()}`;
    // The failed Sync is retried (backoff) and picks up the fix.
    await eventually(
      'the fixed commit to be applied',
      async () => {
        const s = await getSync(client, syncNs, 'crafted');
        return condition(s, 'Ready') === 'True' && s.status?.lastAppliedRevision === fixed ? true : undefined;
      },
      120_000,
    );
    expect(await exists(client, `/api/v1/namespaces/${appNs}/configmaps/settings`)).toBe(true);
    expect(agent.exitCode).toBeNull();
  });
});
