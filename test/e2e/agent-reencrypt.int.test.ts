// SealedSecret re-encryption through the real agent process (POST /v1/rotate, driven by the real
// `sealops keys reencrypt` CLI): the agent runs as a ServiceAccount holding only the shipped
// RBAC; callers are real ServiceAccount tokens checked by the API server (TokenReview and
// SubjectAccessReview); the cluster keeps two key sets (sealops-keys and a labelled rotated set).
// The output opens with the real `kubeseal --recovery-unseal` under the
// newest key only, every value keeps exactly its scope, and a strict SealedSecret submitted with
// cluster-wide annotations (CVE-2026-22728) is refused. No secret byte reaches any output.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { adminKubeConfig, adminKubeconfigPath, createServiceAccount, describeWithCluster, eventually, type ServiceAccountAccess } from '../support/kube.js';
import { peerPath } from '../support/peers.js';
import { adminClient, createNs, shippedRules, installSyncCrd, secretValue, stopAgent } from './agent-harness.js';
import { freePort } from '../cluster/process.js';
import { formatKubesealYaml, generateRsaKeyPair, sealSecret, type KubeClient, type RsaKeyPair, type SealingScope } from '../../src/index.js';
import { createPublicKey } from 'node:crypto';

const CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;

let admin: KubeClient;
let agentNs: string;
let appNs: string;
let otherNs: string;
let dir: string;
let agent: ChildProcess | undefined;
let port: number;
let stderr = '';
let oldKey: RsaKeyPair;
let newKey: RsaKeyPair;
let allowed: ServiceAccountAccess;
let denied: ServiceAccountAccess;
const password = secretValue('reenc-pw');
const apiKey = secretValue('reenc-api');

function sealedFor(key: RsaKeyPair, scope: SealingScope, name = 'db', namespace = appNs): string {
  const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, stringData: { password, 'api-key': apiKey } };
  return formatKubesealYaml(sealSecret(secret, createPublicKey(key.privateKeyPem), { scope }));
}

function writeKey(name: string, key: RsaKeyPair): string {
  const path = join(dir, name);
  writeFileSync(path, key.privateKeyPem, { mode: 0o600 });
  return path;
}

/** `kubeseal --recovery-unseal` with one private key: the Secret's values, or undefined when it refuses. */
function recoveryUnseal(text: string, keyFile: string): Record<string, string> | undefined {
  const r = spawnSync(peerPath('kubeseal'), ['--recovery-unseal', '--recovery-private-key', keyFile, '-o', 'yaml'], { input: text, env: { PATH: process.env.PATH, KUBECONFIG: join(dir, 'none') } });
  if (r.status !== 0) return undefined;
  const data = (parse(r.stdout.toString()) as { data: Record<string, string> }).data;
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

function cli(args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

async function post(body: string, token?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/rotate`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { status: res.status, text: await res.text() };
}

function asJson(yamlText: string): string {
  return JSON.stringify(parse(yamlText));
}

describeWithCluster('SealedSecret re-encryption through the agent', () => {
  beforeAll(async () => {
    admin = adminClient();
    await installSyncCrd(admin);
    agentNs = await createNs(admin, 'reenc');
    appNs = await createNs(admin, 'reenc-app');
    otherNs = await createNs(admin, 'reenc-other');
    dir = mkdtempSync(join(tmpdir(), 'sealops-reencrypt-'));
    oldKey = await generateRsaKeyPair({ commonName: 'old', bits: 2048, days: 30 });
    newKey = await generateRsaKeyPair({ commonName: 'new', bits: 2048, days: 30 });
    // Two key sets as the storage contract lays them out: the first (sealops-keys, older) and a
    // rotated one (a labelled Secret, newer). The old one decrypts, the newest encrypts.
    await admin.request('POST', `/api/v1/namespaces/${agentNs}/secrets`, {
      body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sealops-keys', annotations: { 'sealops.dev/created-at': '2026-01-01T00:00:00Z' } }, stringData: { 'cluster.pem': oldKey.privateKeyPem, 'cluster.crt': oldKey.certificatePem } },
    });
    await admin.request('POST', `/api/v1/namespaces/${agentNs}/secrets`, {
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'sealops-keys-new', labels: { 'sealops.dev/key-set': 'true' }, annotations: { 'sealops.dev/created-at': new Date().toISOString() } },
        stringData: { 'cluster.pem': newKey.privateKeyPem, 'cluster.crt': newKey.certificatePem },
      },
    });
    const kc = adminKubeConfig();
    const agentSa = await createServiceAccount(kc, agentNs, 'sealops-agent', {
      rules: shippedRules('Role', 'sealops-agent-keys').sort((x, y) => Number(Boolean(x.resourceNames)) - Number(Boolean(y.resourceNames))),
      clusterRules: shippedRules('ClusterRole', 'sealops-agent-syncs'),
    });
    // The caller allowed in appNs only, through the shipped ClusterRole's rules in a Role there.
    allowed = await createServiceAccount(kc, appNs, 'deployer', { rules: shippedRules('ClusterRole', 'sealops-reencrypt') });
    denied = await createServiceAccount(kc, appNs, 'viewer');
    port = await freePort();
    agent = spawn(process.execPath, [CLI, 'agent', '--kubeconfig', agentSa.kubeconfigPath, '--agent-namespace', agentNs, '--namespace', agentNs, '--listen', String(port), '--work-dir', join(dir, 'work')], {
      env: { PATH: process.env.PATH, HOME: dir, POD_NAME: 'agent-0' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    agent.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    await eventually('the agent to serve its certificate', async () => ((await fetch(`http://127.0.0.1:${port}/v1/cert.pem`).catch(() => undefined))?.status === 200 ? true : undefined), 90_000);
  }, 120_000);

  afterAll(async () => {
    await stopAgent(agent);
    admin?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('gives nothing to a caller without a token, with a forged token, or without the RBAC grant', async () => {
    const body = asJson(sealedFor(oldKey, 'strict'));
    const none = await post(body);
    expect(none.status).toBe(401);
    const forged = await post(body, `${allowed.token.slice(0, -4)}AAAA`);
    expect(forged.status).toBe(401);
    const viewer = await post(body, denied.token);
    expect(viewer.status).toBe(403);
    expect(viewer.text).toContain(`system:serviceaccount:${appNs}:viewer may not create syncs/reencrypt.sealops.dev in namespace ${appNs}`);
    // The deployer's grant is in appNs: a SealedSecret of another namespace is refused too.
    const elsewhere = await post(asJson(sealedFor(oldKey, 'strict', 'db', otherNs)), allowed.token);
    expect(elsewhere.status).toBe(403);
    for (const r of [none, forged, viewer, elsewhere]) expect(r.text).not.toContain('encryptedData');
  });

  it.each<SealingScope>(['strict', 'namespace-wide', 'cluster-wide'])('re-encrypts a %s SealedSecret to the newest key in the same scope, through the CLI', (scope) => {
    const file = join(dir, `${scope}.yaml`);
    writeFileSync(file, sealedFor(oldKey, scope));
    const tokenFile = join(dir, 'token');
    writeFileSync(tokenFile, allowed.token, { mode: 0o600 });
    const run = cli(['keys', 'reencrypt', file, '--url', `http://127.0.0.1:${port}`, '--token-file', tokenFile]);
    expect(run.stderr).toContain(`re-encrypted ${file}`);
    expect(run.status).toBe(0);
    const out = readFileSync(file, 'utf8');
    const oldPath = writeKey('old.pem', oldKey);
    const newPath = writeKey('new.pem', newKey);
    expect(recoveryUnseal(out, newPath)).toEqual({ password, 'api-key': apiKey });
    expect(recoveryUnseal(out, oldPath)).toBeUndefined();
    const obj = parse(out) as { metadata: { annotations?: Record<string, string> }; spec: { template: { metadata: { annotations?: Record<string, string> } } } };
    const expected = scope === 'strict' ? undefined : { [`sealedsecrets.bitnami.com/${scope}`]: 'true' };
    expect(obj.metadata.annotations).toEqual(expected);
    expect(obj.spec.template.metadata.annotations).toEqual(expected);
    // Where the scope allows a move, the value opens there; where it does not, it stays closed.
    const moved = (namespace: string, name: string): string => formatKubesealYaml({ ...(parse(out) as object), metadata: { ...(parse(out) as { metadata: object }).metadata, namespace, name } });
    expect(recoveryUnseal(moved(appNs, 'other'), newPath) !== undefined).toBe(scope !== 'strict');
    expect(recoveryUnseal(moved(otherNs, 'db'), newPath) !== undefined).toBe(scope === 'cluster-wide');
    expect(run.stdout + run.stderr + out).not.toContain(password);
    expect(run.stdout + run.stderr).not.toContain(allowed.token);
  });

  it('takes the token of a kubeconfig context, keeps a JSON file JSON, and refuses a context without a token', () => {
    const file = join(dir, 'db.json');
    writeFileSync(file, `${JSON.stringify(parse(sealedFor(oldKey, 'strict')), null, 2)}\n`);
    const run = cli(['keys', 'reencrypt', file, '--url', `http://127.0.0.1:${port}`, '--kubeconfig', allowed.kubeconfigPath]);
    expect(run.stderr).toContain('re-encrypted');
    const out = readFileSync(file, 'utf8');
    expect(out.startsWith('{\n  "apiVersion": "bitnami.com/v1alpha1"')).toBe(true);
    expect(recoveryUnseal(out, writeKey('new.pem', newKey))).toEqual({ password, 'api-key': apiKey });
    // The admin kubeconfig authenticates with a client certificate: there is no token to send.
    const before = readFileSync(file, 'utf8');
    const admin = cli(['keys', 'reencrypt', file, '--url', `http://127.0.0.1:${port}`, '--kubeconfig', adminKubeconfigPath()]);
    expect(admin.status).toBe(9);
    expect(admin.stderr).toContain('failed to find a bearer token');
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('never widens a strict SealedSecret whose annotations claim cluster-wide (CVE-2026-22728)', async () => {
    const strict = parse(sealedFor(oldKey, 'strict')) as { metadata: Record<string, unknown>; spec: { template: { metadata: Record<string, unknown> } } };
    const wide = { 'sealedsecrets.bitnami.com/cluster-wide': 'true' };
    // The attack: the template claims cluster-wide; the object's own metadata is left strict.
    const viaTemplate = structuredClone(strict);
    viaTemplate.spec.template.metadata.annotations = wide;
    const r1 = await post(JSON.stringify(viaTemplate), allowed.token);
    expect(r1.status).toBe(400);
    expect(r1.text).toContain('claim cluster-wide but the SealedSecret is sealed strict');
    // Claiming it on the object itself: the strict values do not open under the cluster-wide label.
    const viaMetadata = structuredClone(strict);
    viaMetadata.metadata.annotations = wide;
    viaMetadata.spec.template.metadata.annotations = wide;
    const r2 = await post(JSON.stringify(viaMetadata), allowed.token);
    expect(r2.status).toBe(422);
    expect(r2.text).not.toContain('encryptedData');
    // The CLI on such a file fails and leaves it byte for byte.
    const file = join(dir, 'attack.yaml');
    const text = formatKubesealYaml(viaTemplate);
    writeFileSync(file, text);
    writeFileSync(join(dir, 'token'), allowed.token, { mode: 0o600 });
    const run = cli(['keys', 'reencrypt', file, '--url', `http://127.0.0.1:${port}`, '--token-file', join(dir, 'token')]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^sealops: error: failed to re-encrypt .*attack\.yaml: failed to re-encrypt .*claim cluster-wide/m);
    expect(readFileSync(file, 'utf8')).toBe(text);
    // A legitimate strict answer stays strict: it does not open under another namespace or name.
    const ok = await post(JSON.stringify(strict), allowed.token);
    expect(ok.status).toBe(200);
    const out = JSON.parse(ok.text) as { metadata: Record<string, unknown> };
    const newPath = writeKey('new.pem', newKey);
    expect(recoveryUnseal(formatKubesealYaml(out), newPath)).toEqual({ password, 'api-key': apiKey });
    for (const [namespace, name] of [[otherNs, 'db'], [appNs, 'x']] as const) {
      expect(recoveryUnseal(formatKubesealYaml({ ...out, metadata: { ...out.metadata, namespace, name, annotations: wide } }), newPath)).toBeUndefined();
      expect(recoveryUnseal(formatKubesealYaml({ ...out, metadata: { ...out.metadata, namespace, name } }), newPath)).toBeUndefined();
    }
  });

  it('writes no secret byte and no token into the agent log', () => {
    expect(stderr).toContain('re-encrypted a SealedSecret');
    expect(stderr).toContain('refused a re-encrypt request');
    for (const needle of [password, apiKey, allowed.token, denied.token, Buffer.from(password).toString('base64')]) expect(stderr).not.toContain(needle);
    for (const line of newKey.privateKeyPem.split('\n').filter((l) => l.length > 40).slice(0, 3)) expect(stderr).not.toContain(line);
  });
});
