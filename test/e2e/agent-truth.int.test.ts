// What the agent publishes is true and holds no secret, end to end against the real API server:
// - values sealed by the real `sops` outside data/stringData (a custom resource's spec, labels,
//   annotations, URLs), echoed back by the API server when it rejects the object, reach neither
//   the Ready message, the Events nor the logs, short values included;
// - a source refused for size records the commit it refused and names the file;
// - a malformed keys Secret entry is reported as such, not as a build failure;
// - a blocked prune does not move lastAppliedRevision, and the mass-deletion override counts
//   only when it comes from outside the synced repository.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { describeWithCluster } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { peerPath } from '../support/peers.js';
import { AgentRunner, createNs, createSync, getSync, makeClusterKeys, publishedText, secretValue, secretValues, setUpAgent, type ClusterKeys } from './agent-harness.js';
import { configMap, widgetCrd } from './agent-fixtures.js';
import type { KubeClient } from '../../src/kube/client.js';

let client: KubeClient;
let agentNs: string;
let keys: ClusterKeys;

/** `doc` sealed by the real sops with a custom encrypted_regex. */
function sopsSealWith(doc: Record<string, unknown>, regex: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-sops-'));
  try {
    const file = join(dir, 'doc.yaml');
    writeFileSync(file, stringify(doc));
    return execFileSync(peerPath('sops'), ['--encrypt', '--age', keys.ageRecipient, '--encrypted-regex', regex, file], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function fileUrl(repo: TestRepo): string {
  return serveFile(repo.bareDir).url;
}

describeWithCluster('what the agent publishes', () => {
  beforeAll(async () => {
    keys = makeClusterKeys();
    ({ client, agentNs } = await setUpAgent(keys));
  });
  afterAll(() => client?.close());

  describe('a sealed custom resource the API server rejects', () => {
    it('publishes no decrypted value, long or short, in status, Events or logs, and still names the fields', async () => {
      const syncNs = await createNs(client, 'truth');
      const appNs = await createNs(client, 'truth-app');
      const group = `${appNs}.sealops.test`;
      const longLabel = `${secretValue('canary-label')}!`;
      const shortLabel = 'z!';
      const urlSecret = secretValue('canary-url');
      const specSecret = secretValue('canary-spec');
      const widget = {
        apiVersion: `${group}/v1`,
        kind: 'Widget',
        metadata: {
          name: 'w',
          namespace: appNs,
          labels: { tier: longLabel, zone: shortLabel },
          annotations: { hook: `https://deploy:${urlSecret}@hooks.example/x` },
        },
        spec: { size: 3, note: specSecret },
      };
      const repo = createRepo();
      const runner = new AgentRunner(client, agentNs);
      try {
        // The Widget's spec keeps unknown fields, so the note reaches the API server.
        const crd = parse(widgetCrd(group)) as { spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Record<string, unknown> } } } }[] } };
        crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec['x-kubernetes-preserve-unknown-fields'] = true;
        repo.commitFiles({ 'crd.yaml': stringify(crd), 'widget.sops.yaml': sopsSealWith(widget, '^(spec|labels|annotations)$') }, 'sealed widget');
        await createSync(client, syncNs, 'w', { source: { url: fileUrl(repo), ref: { branch: 'main' } } });
        const outcome = await runner.reconcile(syncNs, 'w');
        expect(outcome.reason).toBe('ApplyFailed');
        const published = await publishedText(client, syncNs, 'w');
        const logs = runner.logs.join('\n');
        for (const canary of [longLabel, shortLabel, urlSecret, specSecret, Buffer.from(longLabel).toString('base64')]) {
          expect(outcome.message).not.toContain(canary);
          expect(published).not.toContain(canary);
          expect(logs).not.toContain(canary);
        }
        // The message still says what is wrong and where.
        const ready = (await getSync(client, syncNs, 'w')).status?.conditions?.find((c) => c.type === 'Ready');
        expect(ready?.message).toContain(`Widget ${appNs}/w (widget.sops.yaml)`);
        expect(ready?.message).toContain('metadata.labels');
        expect(ready?.message).toContain('Invalid value: [REDACTED]');
      } finally {
        runner.cleanup();
        repo.cleanup();
      }
    });
  });

  describe('failures of a stage', () => {
    let syncNs: string;
    let repo: TestRepo;
    let runner: AgentRunner;
    beforeAll(async () => {
      syncNs = await createNs(client, 'stages');
      repo = createRepo();
      runner = new AgentRunner(client, agentNs);
    });
    afterAll(() => {
      runner?.cleanup();
      repo?.cleanup();
    });

    it('records a commit refused for size as attempted and names the file', async () => {
      repo.commitFiles({ 'small.yaml': configMap(syncNs, 'small', { a: 'b' }), 'big.yaml': configMap(syncNs, 'big', { a: 'x'.repeat(4096) }) }, 'big');
      await createSync(client, syncNs, 'caps', { source: { url: fileUrl(repo), ref: { branch: 'main' }, limits: { maxFileSize: '1Ki' } } });
      const outcome = await runner.reconcile(syncNs, 'caps');
      expect(outcome.reason).toBe('SourceRefused');
      expect(outcome.message).toContain('big.yaml');
      const sync = await getSync(client, syncNs, 'caps');
      expect(sync.status?.lastAttemptedRevision).toBe(`main@sha1:${repo.head()}`);
      expect(sync.status?.lastAppliedRevision).toBeUndefined();
    });

    it('stops a reconcile past spec.timeout with a clear reason, applying nothing', async () => {
      // Parsing is linear now, but a megabyte and a half of flow-style YAML still costs the yaml
      // library about three seconds on this machine (6 MiB: 12 s): well past the 1 s allowed.
      const noise: string[] = [];
      for (let i = 0, size = 0; size < 1536 * 1024; i++) {
        const line = `k${i}: [a, b, {c: d, e: f}]\n`;
        noise.push(line);
        size += line.length;
      }
      const slow = createRepo();
      try {
        slow.commitFiles({ 'cm.yaml': configMap(syncNs, 'late', { a: 'b' }), 'noise.yaml': noise.join('') }, 'slow to parse');
        await createSync(client, syncNs, 'slow', { source: { url: fileUrl(slow), ref: { branch: 'main' } }, timeout: '1s' });
        const outcome = await runner.reconcile(syncNs, 'slow');
        expect(outcome.reason).toBe('ReconcileTimeout');
        expect(outcome.message).toContain('spec.timeout 1s');
        expect(await client.request('GET', `/api/v1/namespaces/${syncNs}/configmaps/late`).then(() => true, () => false)).toBe(false);
      } finally {
        slow.cleanup();
      }
    });

    it('skips a malformed keys Secret entry, names it in a Warning Event, and opens the files with the other keys', async () => {
      const broken = 'AGE-SECRET-KEY-1NOTAKEY';
      await client.request('POST', `/api/v1/namespaces/${syncNs}/secrets`, {
        body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'bad-keys' }, stringData: { 'broken.agekey': broken, 'good.agekey': keys.ageIdentity } },
      });
      const password = secretValue('pw');
      const sealed = sopsSealWith({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: syncNs }, stringData: { p: password } }, '^(data|stringData)$');
      const keysRepo = createRepo();
      try {
        keysRepo.commitFiles({ 's.sops.yaml': sealed }, 'sealed');
        await createSync(client, syncNs, 'keys', { source: { url: fileUrl(keysRepo), ref: { branch: 'main' } }, decryption: { secretRef: { name: 'bad-keys' }, allowUnbound: true } });
        const outcome = await runner.reconcile(syncNs, 'keys');
        expect(outcome.reason).not.toBe('BuildFailed');
        expect(outcome.reason).toBe('ReconciliationSucceeded');
        expect(await secretValues(client, syncNs, 's')).toEqual({ p: password });
        const events = await client.request<{ items: { reason: string; note: string; type: string }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${syncNs}/events`);
        const skipped = events.items.filter((e) => e.reason === 'DecryptionKeySkipped');
        expect(skipped).toHaveLength(1);
        expect(skipped[0]).toMatchObject({ type: 'Warning' });
        expect(skipped[0]!.note).toContain('broken.agekey');
        expect(skipped[0]!.note).toContain('bad-keys');
        expect(JSON.stringify(events.items)).not.toContain(broken);
        expect(runner.logs.join('')).toContain('broken.agekey');
        expect(runner.logs.join('')).not.toContain(broken);
      } finally {
        keysRepo.cleanup();
      }
    });
  });

  describe('the mass-deletion guard', () => {
    it('keeps lastAppliedRevision while a prune is blocked, ignores an override from the repository, and honours one from outside', async () => {
      const syncNs = await createNs(client, 'guard');
      const repo = createRepo();
      const runner = new AgentRunner(client, agentNs);
      // The Sync manages itself from the repository, as many teams set it up.
      const self = (allow: boolean): string =>
        stringify({
          apiVersion: 'sealops.dev/v1alpha1',
          kind: 'Sync',
          metadata: { name: 'self', namespace: syncNs },
          spec: { source: { url: fileUrl(repo), ref: { branch: 'main' } }, deletionGuard: { allowMassDeletion: allow } },
        });
      try {
        const cms = Object.fromEntries(['a', 'b', 'c', 'd'].map((n) => [`${n}.yaml`, configMap(syncNs, n, { n })]));
        repo.commitFiles({ ...cms, 'sync.yaml': self(false) }, 'initial');
        await createSync(client, syncNs, 'self', { source: { url: fileUrl(repo), ref: { branch: 'main' } } });
        expect((await runner.reconcile(syncNs, 'self')).ok).toBe(true);
        const applied = `main@sha1:${repo.head()}`;

        // One commit deletes most objects and lifts the guard for itself.
        repo.commitFiles({ 'a.yaml': null, 'b.yaml': null, 'c.yaml': null, 'sync.yaml': self(true) }, 'delete most and allow it');
        for (let i = 0; i < 2; i++) {
          const outcome = await runner.reconcile(syncNs, 'self');
          expect(outcome.reason).toBe('PruneBlocked');
        }
        let sync = await getSync(client, syncNs, 'self');
        expect((sync.spec as { deletionGuard: { allowMassDeletion: boolean } }).deletionGuard.allowMassDeletion).toBe(true);
        expect(sync.status?.lastAppliedRevision).toBe(applied);
        expect(sync.status?.lastAttemptedRevision).toBe(`main@sha1:${repo.head()}`);
        expect(runner.logs.join('\n')).toContain('mass-deletion override ignored');

        // A cluster operator allows exactly this commit.
        await client.request('PATCH', `/apis/sealops.dev/v1alpha1/namespaces/${syncNs}/syncs/self`, {
          body: { metadata: { annotations: { 'sealops.dev/allow-mass-deletion': repo.head() } } },
          contentType: 'application/merge-patch+json',
          query: { fieldManager: 'kubectl-annotate' },
        });
        const outcome = await runner.reconcile(syncNs, 'self');
        expect(outcome.reason).toBe('ReconciliationSucceeded');
        expect(outcome.counts?.deleted).toBe(3);
        sync = await getSync(client, syncNs, 'self');
        expect(sync.status?.lastAppliedRevision).toBe(`main@sha1:${repo.head()}`);
      } finally {
        runner.cleanup();
        repo.cleanup();
      }
    });
  });
});
