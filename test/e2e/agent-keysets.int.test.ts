// The cluster key lifecycle end to end, on the run's control plane: the real `sealops agent`
// process makes and publishes key sets, the real CLI fetches public keys into .sealops.yaml,
// seals for them, asks for a rotation, retires a set, backs up and restores; a Sync applies what
// was sealed. Every output, log, Event, status and file written is checked for private-key bytes.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { adminKubeconfigPath, describeWithCluster, eventually } from '../support/kube.js';
import { createRepo, serveFile, type TestRepo } from '../support/git-servers.js';
import { peerPath } from '../support/peers.js';
import { adminClient, createNs, createSync, getSync, installSyncCrd, secretValue, secretValues, stopAgent } from './agent-harness.js';
import { ensureClusterKeys, type KubeClient } from '../../src/index.js';
import { ROTATE_REQUEST_ANNOTATION } from '../../src/agent/keysets.js';

const CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;

let admin: KubeClient;
let agentNs: string;
let appNs: string;
let dir: string;
let work: string;
let repo: TestRepo;
let agent: ChildProcess | undefined;
let port: number;
let agentLog = '';
/** Every CLI output of the test, for the no-private-byte check. */
const outputs: string[] = [];
/** Every private key line seen, raw and base64. */
const needles = new Set<string>();

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], opts: { input?: string | Buffer; cwd?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: opts.cwd ?? work,
    input: opts.input,
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: dir, ...opts.env },
  });
  outputs.push(r.stdout, r.stderr);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const kube = (): string[] => ['--kubeconfig', adminKubeconfigPath(), '--namespace', agentNs];

interface KeySetJson {
  fingerprint: string;
  createdAt: string;
  recipients: string[];
  certificates: string[];
  state: string;
  retiredAt?: string;
}

async function configMap(ns: string): Promise<{ data: Record<string, string>; annotations: Record<string, string> }> {
  const cm = await admin.request<{ data?: Record<string, string>; metadata: { annotations?: Record<string, string> } }>('GET', `/api/v1/namespaces/${ns}/configmaps/sealops-public-keys`);
  return { data: cm.data ?? {}, annotations: cm.metadata.annotations ?? {} };
}

async function keySets(ns = agentNs): Promise<KeySetJson[]> {
  return JSON.parse((await configMap(ns)).data['keysets.json'] ?? '[]') as KeySetJson[];
}

interface SecretItem {
  metadata: { name: string; resourceVersion: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data: Record<string, string>;
}

async function setSecrets(ns = agentNs): Promise<SecretItem[]> {
  const list = await admin.request<{ items: SecretItem[] }>('GET', `/api/v1/namespaces/${ns}/secrets`, { query: { labelSelector: 'sealops.dev/key-set=true' } });
  for (const s of list.items) remember(s);
  return list.items;
}

/** Adds the private lines of a key-set Secret to the needles. */
function remember(s: SecretItem): void {
  for (const [name, b64] of Object.entries(s.data)) {
    const text = Buffer.from(b64, 'base64').toString('utf8');
    if (name.endsWith('.agekey')) for (const l of text.split('\n').filter((x) => x.startsWith('AGE-SECRET-KEY-'))) needles.add(l);
    if (name.endsWith('.pem')) for (const l of text.split('\n').filter((x) => /^[A-Za-z0-9+/=]{40,}$/.test(x)).slice(0, 6)) needles.add(l);
  }
}

async function getText(path: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return res.text();
}

function commitSealed(files: Record<string, string | null>, message: string): void {
  for (const v of Object.values(files)) if (v !== null) outputs.push(v);
  repo.commitFiles(files, message);
}

function secretYaml(name: string, key: string, value: string): string {
  return stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: appNs }, stringData: { [key]: value } });
}

/** Seals `yaml` with the CLI from the work folder (its .sealops.yaml), as a developer would. */
function seal(file: string, yaml: string, extra: string[] = []): string {
  writeFileSync(join(work, file), yaml);
  const r = cli(['seal', '--cluster', 'prod', ...extra, file]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/**
 * `keys list --check` over `gate/`, a folder whose config `keys fetch` writes (rule: every file to
 * prod) and which holds one file sealed to `recipient` (made on the first call).
 */
function gateCheck(recipient?: string): Run {
  const gate = join(work, 'gate');
  mkdirSync(gate, { recursive: true });
  writeFileSync(join(gate, '.sealops.yaml'), 'rules:\n  - path: "**"\n    clusters: [prod]\n');
  expect(cli(['keys', 'fetch', '--cluster', 'prod', ...kube(), '--config', join(gate, '.sealops.yaml')]).status).toBe(0);
  if (recipient) {
    writeFileSync(join(gate, 'plain.yaml'), secretYaml('gate', 'password', values.db));
    const sealed = cli(['seal', '-r', recipient, 'plain.yaml'], { cwd: gate });
    expect(sealed.status).toBe(0);
    rmSync(join(gate, 'plain.yaml'));
    writeFileSync(join(gate, 'old.yaml'), sealed.stdout);
  }
  return cli(['keys', 'list', '--check', 'gate']);
}

async function waitForKeysInUse(expected: string[]): Promise<void> {
  await eventually(`keysInUse ${expected.join(',')}`, async () => {
    const s = await getSync(admin, appNs, 'app');
    const inUse = (s.status)?.keysInUse;
    return JSON.stringify(inUse) === JSON.stringify([...expected].sort()) ? true : undefined;
  }, 90_000);
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const p = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return p;
}

const values = { db: secretValue('db'), tok: secretValue('tok'), db2: secretValue('db2'), tok2: secretValue('tok2') };

describeWithCluster('the key lifecycle of a cluster: sets, fetch, rotate, retire, backup, restore', () => {
  beforeAll(async () => {
    admin = adminClient();
    await installSyncCrd(admin);
    agentNs = await createNs(admin, 'keyring');
    appNs = await createNs(admin, 'keyring-app');
    dir = mkdtempSync(join(tmpdir(), 'sealops-keyring-'));
    work = join(dir, 'repo');
    mkdirSync(work);
    repo = createRepo();
    port = await freePort();
    agent = spawn(
      process.execPath,
      [CLI, 'agent', '--kubeconfig', adminKubeconfigPath(), '--agent-namespace', agentNs, '--namespace', appNs, '--listen', String(port), '--work-dir', join(dir, 'work'), '--key-check-interval', '0.5', '--lease-duration', '4'],
      { env: { PATH: process.env.PATH, HOME: dir, POD_NAME: 'agent-0' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    agent.stderr!.setEncoding('utf8').on('data', (c: string) => (agentLog += c));
    await eventually('the agent to publish its first key set', async () => ((await keySets().catch(() => [])).length === 1 ? true : undefined), 120_000);
  }, 180_000);

  afterAll(async () => {
    await stopAgent(agent);
    admin?.close();
    repo?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('generates a labelled, annotated first set on the first start, and none on a second start', async () => {
    const secrets = await setSecrets();
    expect(secrets).toHaveLength(1);
    const [first] = secrets;
    const [listed] = await keySets();
    expect(first!.metadata.name).toBe('sealops-keys');
    expect(first!.metadata.labels).toMatchObject({ 'sealops.dev/key-set': 'true', 'sealops.dev/fingerprint': listed!.fingerprint });
    expect(first!.metadata.annotations?.['sealops.dev/created-at']).toBe(listed!.createdAt);
    expect(listed).toMatchObject({ state: 'active', recipients: [expect.stringMatching(/^age1/)], certificates: [expect.stringContaining('BEGIN CERTIFICATE')] });
    expect(JSON.parse(await getText('/v1/keysets'))).toEqual(await keySets());

    const second = cli(['agent', '--once', '--generate-keys', ...kube().slice(0, 2), '--agent-namespace', agentNs, '--namespace', appNs]);
    expect(second.status).toBe(0);
    const after = await setSecrets();
    expect(after.map((s) => [s.metadata.name, s.metadata.resourceVersion])).toEqual([[first!.metadata.name, first!.metadata.resourceVersion]]);
  });

  it('keys fetch writes a config that seals files the agent unseals, keeping comments and other entries', async () => {
    const original = ['# Clusters of the platform team.', 'clusters:', '  # staging is managed elsewhere', '  staging:', '    recipients: [age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq]', 'rules:', '  - path: "**"', '    clusters: [prod]', ''].join('\n');
    writeFileSync(join(work, '.sealops.yaml'), original.replace('clusters: [prod]', 'clusters: [staging]'));
    const fetched = cli(['keys', 'fetch', '--cluster', 'prod', ...kube()]);
    expect(fetched.stderr).toContain('wrote cluster prod');
    expect(fetched.status).toBe(0);
    const config = readFileSync(join(work, '.sealops.yaml'), 'utf8');
    const [active] = await keySets();
    expect(config).toContain('# Clusters of the platform team.');
    expect(config).toContain('# staging is managed elsewhere');
    expect(config).toContain('age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq');
    expect(config).toContain(`keySet: ${active!.fingerprint}`);
    expect(config).toContain(active!.recipients[0]!);
    expect(config).toContain('certificate: certs/prod.pem');
    expect(readFileSync(join(work, 'certs', 'prod.pem'), 'utf8')).toBe(active!.certificates.join(''));
    // The same keys through the agent's HTTP endpoint.
    writeFileSync(join(dir, 'url.yaml'), 'clusters: {}\n');
    expect(cli(['keys', 'fetch', '--cluster', 'prod', '--url', `http://127.0.0.1:${port}`, '--config', join(dir, 'url.yaml')]).status).toBe(0);
    expect(readFileSync(join(dir, 'url.yaml'), 'utf8')).toContain(`keySet: ${active!.fingerprint}`);

    const db = seal('db.yaml', secretYaml('db', 'password', values.db));
    const tok = seal('tok.yaml', secretYaml('tok', 'token', values.tok), ['--format', 'sealedsecret']);
    expect(tok).toContain('kind: SealedSecret');
    commitSealed({ 'deploy/db.yaml': db, 'deploy/tok.yaml': tok }, 'sealed for the first set');
    await createSync(admin, appNs, 'app', { source: { url: serveFile(repo.bareDir).url, ref: { branch: 'main' } }, path: 'deploy', interval: '2s' });
    await waitForKeysInUse([active!.fingerprint]);
    expect(await secretValues(admin, appNs, 'db')).toEqual({ password: values.db });
    expect(await secretValues(admin, appNs, 'tok')).toEqual({ token: values.tok });
  }, 120_000);

  it('rotates on demand in the cluster: old files keep working, the published keys and new seals use the new set', async () => {
    const [old] = await keySets();
    const rotated = cli(['keys', 'rotate', ...kube()]);
    expect(rotated.stderr).not.toContain('error');
    expect(rotated.status).toBe(0);
    const fresh = rotated.stdout.trim();
    expect(fresh).toMatch(/^ks-[0-9a-f]{16}$/);
    expect(fresh).not.toBe(old!.fingerprint);
    const sets = await keySets();
    expect(sets.map((s) => [s.fingerprint, s.state])).toEqual([
      [old!.fingerprint, 'previous'],
      [fresh, 'active'],
    ]);
    const secrets = await setSecrets();
    expect(secrets).toHaveLength(2);
    expect(secrets.find((s) => s.metadata.labels?.['sealops.dev/fingerprint'] === fresh)?.metadata.annotations?.['sealops.dev/created-at']).toBe(sets[1]!.createdAt);
    const now = sets[1]!;
    expect((await configMap(agentNs)).data['recipients.txt']).toBe(`${now.recipients[0]}\n`);
    expect(await getText('/v1/recipients')).toBe(`${now.recipients[0]}\n`);
    expect(await getText('/v1/cert.pem')).toBe(now.certificates.join(''));

    expect(cli(['keys', 'fetch', '--cluster', 'prod', ...kube()]).status).toBe(0);
    const config = readFileSync(join(work, '.sealops.yaml'), 'utf8');
    expect(config).toContain(`keySet: ${fresh}`);
    expect(config).toMatch(new RegExp(`previous:\\n(\\s+- .*\\n)*\\s+- ${old!.recipients[0]}`));
    // A file sealed to the previous set still opens in the cluster: the gate passes, with a note to re-seal.
    const gate = gateCheck(old!.recipients[0]);
    expect(gate.status).toBe(0);
    expect(gate.stdout + gate.stderr).toContain('old.yaml: cluster prod opens it only with a previous key set');
    const db2 = seal('db2.yaml', secretYaml('db2', 'password', values.db2));
    expect(db2).toContain(now.recipients[0]!);
    expect(db2).not.toContain(old!.recipients[0]!);
    const tok2 = seal('tok2.yaml', secretYaml('tok2', 'token', values.tok2), ['--format', 'sealedsecret']);
    commitSealed({ 'deploy/db2.yaml': db2, 'deploy/tok2.yaml': tok2 }, 'sealed for the new set');
    await waitForKeysInUse([old!.fingerprint, fresh]);
    expect(await secretValues(admin, appNs, 'db')).toEqual({ password: values.db });
    expect(await secretValues(admin, appNs, 'tok')).toEqual({ token: values.tok });
    expect(await secretValues(admin, appNs, 'db2')).toEqual({ password: values.db2 });
    expect(await secretValues(admin, appNs, 'tok2')).toEqual({ token: values.tok2 });
  }, 180_000);

  it('refuses to retire a set a Sync still needs, naming the Sync, and retires it once nothing does', async () => {
    const [old, active] = await keySets();
    const refused = cli(['keys', 'retire', old!.fingerprint, ...kube()]);
    expect(refused.status).toBe(3);
    expect(refused.stderr).toContain(`still in use by Sync ${appNs}/app`);
    expect(await setSecrets()).toHaveLength(2);
    const activeRefused = cli(['keys', 'retire', active!.fingerprint, ...kube()]);
    expect(activeRefused.status).toBe(3);
    expect(activeRefused.stderr).toContain('it is the active set');

    // Re-sealed for the active set, the old files no longer need the old set.
    commitSealed({ 'deploy/db.yaml': seal('db.yaml', secretYaml('db', 'password', values.db)), 'deploy/tok.yaml': seal('tok.yaml', secretYaml('tok', 'token', values.tok), ['--format', 'sealedsecret']) }, 're-sealed');
    await waitForKeysInUse([active!.fingerprint]);
    const retired = cli(['keys', 'retire', old!.fingerprint, ...kube()]);
    expect(retired.stderr).toContain(`retired key set ${old!.fingerprint}`);
    expect(retired.status).toBe(0);
    expect((await setSecrets()).map((s) => s.metadata.labels?.['sealops.dev/fingerprint'])).toEqual([active!.fingerprint]);
    const listing = await eventually('the retired set listed', async () => {
      const l = await keySets();
      return l.find((k) => k.fingerprint === old!.fingerprint)?.state === 'retired' ? l : undefined;
    });
    expect(listing.map((k) => k.state)).toEqual(['retired', 'active']);
    expect(listing[0]).toMatchObject({ recipients: old!.recipients, certificates: old!.certificates, retiredAt: expect.any(String) });
    // The agent keeps it listed as retired on its next publications.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await keySets()).map((k) => k.state)).toEqual(['retired', 'active']);
    expect(await secretValues(admin, appNs, 'db')).toEqual({ password: values.db });

    // Once retired, a file still sealed only to that set fails the CI gate, by name.
    const gate = gateCheck();
    expect(gate.status).toBe(1);
    expect(gate.stdout).toMatch(/^retired-only: old\.yaml: sealed only to retired keys/m);
  }, 180_000);

  it('makes one set when two replicas rotate at once, and rotates by age only when due', async () => {
    const ns = await createNs(admin, 'keyring-race');
    await ensureClusterKeys(admin, ns, { generate: true, rsaBits: 2048 });
    await admin.request('PATCH', `/api/v1/namespaces/${ns}/configmaps/sealops-public-keys`, {
      // Asked from a laptop whose clock runs an hour ahead of the cluster's.
      body: { metadata: { annotations: { [ROTATE_REQUEST_ANNOTATION]: new Date(Date.now() + 3_600_000).toISOString() } } },
      contentType: 'application/merge-patch+json',
    });
    const later = (): Date => new Date(Date.now() + 2000);
    const [a, b] = await Promise.all([ensureClusterKeys(admin, ns, { generate: true, rsaBits: 2048, now: later }), ensureClusterKeys(admin, ns, { generate: true, rsaBits: 2048, now: later })]);
    expect([a.rotated, b.rotated].sort()).toEqual([false, true]);
    expect(await setSecrets(ns)).toHaveLength(2);
    expect(a.recipients).toEqual(b.recipients);
    // The request is answered once, whatever the clocks say.
    expect((await ensureClusterKeys(admin, ns, { generate: true, rsaBits: 2048, now: later })).rotated).toBe(false);
    expect(await setSecrets(ns)).toHaveLength(2);

    const month = 30 * 86_400_000;
    const notYet = await ensureClusterKeys(admin, ns, { generate: true, rsaBits: 2048, rotationMs: month, now: () => new Date(Date.now() + month / 2) });
    expect(notYet.rotated).toBe(false);
    const disabled = await ensureClusterKeys(admin, ns, { generate: true, rsaBits: 2048, rotationMs: 0, now: () => new Date(Date.now() + 10 * month) });
    expect(disabled.rotated).toBe(false);
    const due = await ensureClusterKeys(admin, ns, { generate: true, rsaBits: 2048, rotationMs: month, now: () => new Date(Date.now() + month + 60_000) });
    expect(due.rotated).toBe(true);
    expect(due.keySets.map((k) => k.state)).toEqual(['previous', 'previous', 'active']);
  }, 120_000);

  it('skips a malformed entry of a key-set Secret, reporting Secret and entry, while the other keys still work', async () => {
    const broken = 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ';
    needles.add(broken);
    await admin.request('POST', `/api/v1/namespaces/${agentNs}/secrets`, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'pasted-keys', labels: { 'sealops.dev/key-set': 'true' }, annotations: { 'sealops.dev/created-at': '2001-01-01T00:00:00Z' } },
        stringData: { 'broken.agekey': broken },
      },
    });
    const value = secretValue('after-broken');
    commitSealed({ 'deploy/db3.yaml': seal('db3.yaml', secretYaml('db3', 'password', value)) }, 'one more');
    expect(await eventually('db3 applied', () => secretValues(admin, appNs, 'db3'), 90_000)).toEqual({ password: value });
    const event = await eventually('the Warning Event', async () => {
      const events = await admin.request<{ items: { reason: string; note: string; type: string }[] }>('GET', `/apis/events.k8s.io/v1/namespaces/${appNs}/events`);
      return events.items.find((e) => e.reason === 'DecryptionKeySkipped');
    });
    expect(event.note).toBe('skipped malformed entry broken.agekey of key Secret pasted-keys; the other keys are used');
    const ready = (await getSync(admin, appNs, 'app')).status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).toBe('ReconciliationSucceeded');
    expect(agentLog).toContain('broken.agekey');
    await admin.request('DELETE', `/api/v1/namespaces/${agentNs}/secrets/pasted-keys`);
  }, 120_000);

  it('backs up every set to admin recipients, and restores them into a fresh namespace, refusing bad input and writing nothing', async () => {
    const keygen = (name: string): { file: string; recipient: string } => {
      const file = join(dir, name);
      spawnSync(peerPath('age-keygen'), ['-o', file]);
      return { file, recipient: /public key: (age1\S+)/.exec(readFileSync(file, 'utf8'))![1]! };
    };
    const adminKey = keygen('admin.txt');
    const other = keygen('other.txt');
    const liveSecrets = await setSecrets();
    const live = liveSecrets.map((s) => s.metadata.labels?.['sealops.dev/fingerprint']);
    const backup = cli(['keys', 'backup', '--to', adminKey.recipient, ...kube()]);
    expect(backup.status).toBe(0);
    expect(backup.stdout).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    writeFileSync(join(dir, 'backup.age'), backup.stdout);
    const stamp = JSON.parse((await configMap(agentNs)).annotations['sealops.dev/last-backup']!) as { time: string; fingerprints: string[] };
    expect(stamp.fingerprints).toEqual(live);
    // The real age CLI opens it with the admin identity.
    const opened = spawnSync(peerPath('age'), ['-d', '-i', adminKey.file, join(dir, 'backup.age')], { encoding: 'utf8' });
    expect(JSON.parse(opened.stdout)).toMatchObject({ kind: 'sealops-key-backup', sets: live.map((fingerprint) => ({ fingerprint })) });

    const fresh = await createNs(admin, 'keyring-restore');
    const target = ['--kubeconfig', adminKubeconfigPath(), '--namespace', fresh];
    const wrong = cli(['keys', 'restore', '-k', other.file, ...target], { input: backup.stdout });
    expect(wrong.status).toBe(3);
    expect(wrong.stderr).toContain('not encrypted to the given identity');
    const cut = cli(['keys', 'restore', '-k', adminKey.file, ...target], { input: backup.stdout.slice(0, Math.floor(backup.stdout.length * 0.7)) + '\n-----END AGE ENCRYPTED FILE-----\n' });
    expect(cut.status).toBe(2);
    expect(cut.stderr).toMatch(/failed to read backup: (truncated|not an age file)/);
    expect(cut.stderr).not.toMatch(/\n\s+at /);
    expect(await setSecrets(fresh)).toHaveLength(0);

    const restored = cli(['keys', 'restore', '-k', adminKey.file, ...target], { input: backup.stdout });
    expect(restored.status).toBe(0);
    expect((await setSecrets(fresh)).map((s) => s.metadata.labels?.['sealops.dev/fingerprint']).sort()).toEqual([...live].sort());
    const again = cli(['keys', 'restore', '-k', adminKey.file, ...target], { input: backup.stdout });
    expect(again.status).toBe(0);
    expect(again.stderr).toContain('already present');

    // A namespace where a Secret of the backup's name holds another set: refused, untouched, unless --force.
    const taken = await createNs(admin, 'keyring-taken');
    const name = liveSecrets.at(-1)!.metadata.name;
    await ensureClusterKeys(admin, taken, { generate: true, rsaBits: 2048, secretName: name });
    const before = await setSecrets(taken);
    const clash = cli(['keys', 'restore', '-k', adminKey.file, '--kubeconfig', adminKubeconfigPath(), '--namespace', taken], { input: backup.stdout });
    expect(clash.status).toBe(3);
    expect(clash.stderr).toContain(`${taken}/${name} holds`);
    expect(clash.stderr).toContain('nothing was written');
    expect((await setSecrets(taken)).map((s) => s.metadata.resourceVersion)).toEqual(before.map((s) => s.metadata.resourceVersion));
    const forced = cli(['keys', 'restore', '--force', '-k', adminKey.file, '--kubeconfig', adminKubeconfigPath(), '--namespace', taken], { input: backup.stdout });
    expect(forced.status).toBe(0);
    expect((await setSecrets(taken)).map((s) => s.metadata.labels?.['sealops.dev/fingerprint']).sort()).toEqual([...live].sort());
  }, 120_000);

  it('puts no private-key byte in any output, log, Event, status, ConfigMap or file written', async () => {
    await setSecrets();
    expect(needles.size).toBeGreaterThan(8);
    const events = await admin.request('GET', `/apis/events.k8s.io/v1/namespaces/${appNs}/events`);
    const sync = await getSync(admin, appNs, 'app');
    const published = JSON.stringify(await configMap(agentNs)) + (await getText('/v1/keysets')) + (await getText('/v1/cert.pem'));
    await stopAgent(agent);
    const files = ['.sealops.yaml', ...readdirSync(join(work, 'certs')).map((f) => join('certs', f))].map((f) => readFileSync(join(work, f), 'utf8'));
    const leftovers = readdirSync(work).filter((f) => f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
    expect(existsSync(join(work, 'certs', 'prod.pem'))).toBe(true);
    const all = [...outputs, agentLog, JSON.stringify(events), JSON.stringify(sync), published, ...files];
    for (const text of all) {
      expect(text).not.toContain('PRIVATE KEY');
      for (const n of needles) {
        expect(text).not.toContain(n);
        expect(text).not.toContain(Buffer.from(n).toString('base64'));
      }
    }
  });
});
