// `sealops keys list --context` reads the cluster side of the key-set contract from the real API
// server: the ConfigMap sealops-public-keys (keysets.json with creation times and states, the
// sealops.dev/last-backup annotation) and the Syncs' status.keysInUse. Files are sealed by the
// real `sops` binary. The gate flags a stale backup, a Sync still using a retired set, a file
// sealed only to a retired key and a file the cluster cannot open; once fixed, it passes.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { adminKubeconfigPath, describeWithCluster } from '../support/kube.js';
import { adminClient, createNs, createSync, installSyncCrd, makeClusterKeys, secretValue, sopsSeal, type ClusterKeys } from './agent-harness.js';
import { generateRsaKeyPair, type KeysListReport, type KubeClient } from '../../src/index.js';
import { keySetFingerprint } from '../../src/keys/fingerprint.js';

const CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;
const DAY = 86_400_000;
const password = secretValue('keys-list-pw');

let admin: KubeClient;
let agentNs: string;
let syncNs: string;
let dir: string;
let context: string;
let sets: { old: ClusterKeys; prev: ClusterKeys; cur: ClusterKeys };
let fp: { old: string; prev: string; cur: string };
let cert: string;

function list(...args: string[]): { status: number; report: KeysListReport; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'keys', 'list', '--check', '-o', 'json', '--context', context, '--namespace', agentNs, ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: adminKubeconfigPath() },
  });
  if (r.status !== 0 && r.status !== 1) throw new Error(`keys list failed (${r.status}): ${r.stderr}`);
  return { status: r.status, report: JSON.parse(r.stdout) as KeysListReport, stderr: r.stderr };
}

async function setSyncKeys(name: string, keysInUse: string[]): Promise<void> {
  await admin.request('PATCH', `/apis/sealops.dev/v1alpha1/namespaces/${syncNs}/syncs/${name}/status`, { body: { status: { keysInUse } }, contentType: 'application/merge-patch+json' });
}

async function setBackup(time: string, fingerprints: string[]): Promise<void> {
  await admin.request('PATCH', `/api/v1/namespaces/${agentNs}/configmaps/sealops-public-keys`, {
    body: { metadata: { annotations: { 'sealops.dev/last-backup': JSON.stringify({ time, fingerprints }) } } },
    contentType: 'application/merge-patch+json',
  });
}

function sealFile(path: string, recipients: string[]): void {
  mkdirSync(join(dir, path, '..'), { recursive: true });
  writeFileSync(join(dir, path), sopsSeal({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'app' }, stringData: { password } }, recipients.join(',')));
}

describeWithCluster('keys list reads the cluster side from the real API server', () => {
  beforeAll(async () => {
    admin = adminClient();
    await installSyncCrd(admin);
    agentNs = await createNs(admin, 'kl-agent');
    syncNs = await createNs(admin, 'kl-syncs');
    dir = mkdtempSync(join(tmpdir(), 'sealops-keys-list-'));
    context = (parse(readFileSync(adminKubeconfigPath(), 'utf8')) as { 'current-context': string })['current-context'];
    sets = { old: makeClusterKeys(), prev: makeClusterKeys(), cur: makeClusterKeys() };
    cert = (await generateRsaKeyPair({ commonName: 'sealops', bits: 2048, days: 30 })).certificatePem;
    fp = {
      old: keySetFingerprint({ recipients: [sets.old.ageRecipient], certificates: [] }),
      prev: keySetFingerprint({ recipients: [sets.prev.ageRecipient], certificates: [] }),
      cur: keySetFingerprint({ recipients: [sets.cur.ageRecipient], certificates: [cert] }),
    };
    const keysets = [
      { fingerprint: fp.old, createdAt: '2026-01-01T00:00:00Z', recipients: [sets.old.ageRecipient], certificates: [], state: 'retired', retiredAt: '2026-03-02T00:00:00Z' },
      { fingerprint: fp.prev, createdAt: '2026-02-01T00:00:00Z', recipients: [sets.prev.ageRecipient], certificates: [], state: 'previous' },
      { fingerprint: fp.cur, createdAt: '2026-03-01T00:00:00Z', recipients: [sets.cur.ageRecipient], certificates: [cert], state: 'active' },
    ];
    await admin.request('POST', `/api/v1/namespaces/${agentNs}/configmaps`, {
      body: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'sealops-public-keys' },
        data: { 'recipients.txt': `${sets.cur.ageRecipient}\n`, 'cert.pem': cert, 'keysets.json': JSON.stringify(keysets) },
      },
    });
    await setBackup('2026-02-15T00:00:00Z', [fp.old, fp.prev]);
    for (const name of ['app', 'legacy']) await createSync(admin, syncNs, name, { source: { url: 'https://example.invalid/repo.git' }, interval: '1h' });
    await setSyncKeys('app', [fp.prev, fp.cur]);
    await setSyncKeys('legacy', [fp.old]);
    writeFileSync(
      join(dir, '.sealops.yaml'),
      `clusters:\n  prod:\n    recipients: [${sets.cur.ageRecipient}]\n    keySet: ${fp.cur}\n    retired: [${sets.old.ageRecipient}]\nrules:\n  - path: "apps/**"\n    clusters: [prod]\n`,
    );
    sealFile('apps/db.yaml', [sets.cur.ageRecipient, sets.prev.ageRecipient]);
    sealFile('apps/legacy.yaml', [sets.old.ageRecipient]);
  }, 120_000);

  afterAll(() => {
    admin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows every set with its age, state and Syncs, and flags a stale backup and a retired set still in use', () => {
    const { status, report } = list();
    expect(status).toBe(1);
    expect(report.clusters).toHaveLength(1);
    const side = report.clusters[0]!;
    expect(side.cluster).toBe('prod');
    expect(side.sets.map((s) => [s.fingerprint, s.state, s.usedBy])).toEqual([
      [fp.old, 'retired', [`${syncNs}/legacy`]],
      [fp.prev, 'previous', [`${syncNs}/app`]],
      [fp.cur, 'active', [`${syncNs}/app`]],
    ]);
    const cur = report.keys.find((k) => k.fingerprint === fp.cur)!;
    expect(cur).toMatchObject({ kind: 'key-set', role: 'cluster', createdAt: '2026-03-01T00:00:00Z', state: 'active', inUse: true });
    expect(cur.ageDays).toBe(Math.floor((Date.now() - Date.parse('2026-03-01T00:00:00Z')) / DAY));
    expect(report.keys.find((k) => k.fingerprint === sets.prev.ageRecipient)).toMatchObject({ kind: 'age', keySet: fp.prev, state: 'previous', files: ['apps/db.yaml'], inUse: true });
    expect(report.problems.map((p) => `${p.kind} ${p.file ?? p.cluster ?? ''}`).sort()).toEqual([
      'cannot-open apps/legacy.yaml',
      'retired-in-use prod',
      'retired-only apps/legacy.yaml',
      'stale-backup prod',
    ]);
    expect(report.problems.find((p) => p.kind === 'stale-backup')!.message).toContain(`it lacks ${fp.cur}`);
    expect(JSON.stringify(report)).not.toContain(password);
  });

  it('passes once the backup is fresh, the Sync moved off the retired set and the old file is re-sealed', async () => {
    await setBackup(new Date().toISOString(), [fp.prev, fp.cur]);
    await setSyncKeys('legacy', [fp.cur]);
    sealFile('apps/legacy.yaml', [sets.cur.ageRecipient]);
    const { status, report } = list();
    expect(report.problems).toEqual([]);
    expect(status).toBe(0);
  });

  it('flags a backup that has every set but predates the newest one', async () => {
    await setBackup('2026-02-20T00:00:00Z', [fp.prev, fp.cur]);
    const { status, report } = list();
    expect(status).toBe(1);
    expect(report.problems.map((p) => p.message)).toEqual([expect.stringContaining('is stale: it predates the newest key set')]);
  });

  it('reads a cluster whose agent publishes no keysets.json as one set of unknown age', async () => {
    const ns = await createNs(admin, 'kl-plain');
    await admin.request('POST', `/api/v1/namespaces/${ns}/configmaps`, {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'sealops-public-keys' }, data: { 'recipients.txt': `${sets.cur.ageRecipient}\n`, 'cert.pem': cert } },
    });
    const { report } = list('--namespace', ns);
    expect(report.clusters[0]!.sets).toEqual([expect.objectContaining({ fingerprint: fp.cur, state: 'active', usedBy: [`${syncNs}/app`, `${syncNs}/legacy`] })]);
    expect(report.notes.join('\n')).toContain('no keysets.json');
    expect(report.notes.join('\n')).toContain('no key backup recorded');
  });

  it('fails with an error, not a finding, when the agent namespace holds no public keys', () => {
    const r = spawnSync(process.execPath, [CLI, 'keys', 'list', '--check', '--context', context, '--namespace', 'no-such-ns'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: adminKubeconfigPath() } });
    expect(r.status).toBe(9);
    expect(r.stderr).toContain('failed to read configmap no-such-ns/sealops-public-keys');
  });
});
