/**
 * Interop with the real kubeseal (built from the Go module proxy by tools/build-assets.sh):
 * what kubeseal seals, sealops unseals; what sealops seals, `kubeseal --recovery-unseal`
 * unseals; and both write the same YAML shape.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { formatKubesealYaml, generateRsaKeyPair, loadRsaPrivateKeys, mergeIntoSealedSecret, sealSecret, unsealSealedSecret, type RsaKeyPair, type SealingScope } from '../../src/index.js';
import { hybridDecrypt, scopeLabel } from '../../src/crypto/rsa-oaep.js';
import { peerPath } from '../support/peers.js';

const SCOPES: SealingScope[] = ['strict', 'namespace-wide', 'cluster-wide'];
let kubeseal: string;
let dir: string;
let pair: RsaKeyPair;
let certPath: string;
let keyPath: string;

const secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'ns-a', labels: { app: 'web' }, annotations: { owner: 'team-a', enabled: 'yes', n: 'on', when: '2024-01-01' } },
  type: 'Opaque',
  immutable: true,
  data: { binary: Buffer.from([0, 1, 2, 253, 254, 255]).toString('base64') },
  stringData: { password: 'correct horse battery staple', user: 'admin' },
};

// Inputs go to kubeseal as JSON: its YAML reader is YAML 1.1, which would turn the `yes` and
// `on` annotation values above into booleans.
function run(args: string[], input?: string): string {
  // An empty KUBECONFIG: these runs must not need (or touch) a cluster.
  return execFileSync(kubeseal, args, { input, env: { ...process.env, KUBECONFIG: join(dir, 'none') }, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

function runFails(args: string[], input: string): string {
  try {
    run(args, input);
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? '');
  }
  throw new Error('expected kubeseal to fail');
}

beforeAll(async () => {
  kubeseal = peerPath('kubeseal');
  dir = mkdtempSync(join(tmpdir(), 'sealops-kubeseal-'));
  pair = await generateRsaKeyPair();
  certPath = join(dir, 'cert.pem');
  keyPath = join(dir, 'key.pem');
  writeFileSync(certPath, pair.certificatePem);
  writeFileSync(keyPath, pair.privateKeyPem, { mode: 0o600 });
});

function expectedData(): Record<string, string> {
  return {
    binary: secret.data.binary,
    password: Buffer.from(secret.stringData.password).toString('base64'),
    user: Buffer.from(secret.stringData.user).toString('base64'),
  };
}

describe('kubeseal → sealops', () => {
  it.each(SCOPES)('unseals a %s SealedSecret that kubeseal --cert sealed with a sealops certificate', (scope) => {
    const out = run(['--cert', certPath, '-o', 'yaml', '--scope', scope], JSON.stringify(secret));
    const unsealed = unsealSealedSecret(parse(out), [pair.privateKey]);
    expect(unsealed.data).toEqual(expectedData());
    expect(unsealed.metadata.labels).toEqual({ app: 'web' });
    expect(unsealed.type).toBe('Opaque');
    expect(unsealed.immutable).toBe(true);
  });

  it('opens a kubeseal --raw value with the scope label', () => {
    const valueFile = join(dir, 'raw.txt');
    writeFileSync(valueFile, 'raw value');
    const value = run(['--raw', '--scope', 'strict', '--namespace', 'ns-a', '--name', 'db', '--cert', certPath, `--from-file=${valueFile}`]);
    const plain = hybridDecrypt([pair.privateKey], Buffer.from(value.trim(), 'base64'), scopeLabel('strict', 'ns-a', 'db'));
    expect(plain.toString()).toBe('raw value');
  });

  it('merges a new key into a kubeseal file and keeps the other ciphertexts', () => {
    const original = parse(run(['--cert', certPath, '-o', 'yaml'], JSON.stringify(secret)));
    const merged = mergeIntoSealedSecret(original, { apiVersion: 'v1', kind: 'Secret', metadata: {}, stringData: { token: 't' } }, pair.publicKey);
    expect(merged.spec.encryptedData.password).toBe(original.spec.encryptedData.password);
    const file = join(dir, 'merged-by-sealops.yaml');
    writeFileSync(file, formatKubesealYaml(merged));
    const back = parse(run(['--recovery-unseal', '--recovery-private-key', keyPath, '-o', 'yaml'], readFileSync(file, 'utf8')));
    expect(back.data).toEqual({ ...expectedData(), token: Buffer.from('t').toString('base64') });
  });
});

describe('sealops → kubeseal', () => {
  it.each(SCOPES)('seals a %s SealedSecret that kubeseal --recovery-unseal opens', (scope) => {
    const sealed = formatKubesealYaml(sealSecret(secret, pair.publicKey, { scope }));
    const back = parse(run(['--recovery-unseal', '--recovery-private-key', keyPath, '-o', 'yaml'], sealed));
    expect(back.data).toEqual(expectedData());
    expect(back.metadata.name).toBe('db');
    expect(back.metadata.namespace).toBe('ns-a');
    expect(back.metadata.labels).toEqual({ app: 'web' });
    expect(back.immutable).toBe(true);
  });

  it('is refused by kubeseal when a strict SealedSecret is moved to another namespace or name', () => {
    const sealed = sealSecret(secret, pair.publicKey);
    for (const [namespace, name] of [
      ['ns-b', 'db'],
      ['ns-a', 'other'],
    ] as const) {
      const moved = structuredClone(sealed);
      moved.metadata.namespace = namespace;
      moved.metadata.name = name;
      const stderr = runFails(['--recovery-unseal', '--recovery-private-key', keyPath, '-o', 'yaml'], formatKubesealYaml(moved));
      expect(stderr).toMatch(/no key could decrypt secret/);
    }
  });

  it('kubeseal --merge-into adds a key to a sealops file, and sealops unseals the result', () => {
    const file = join(dir, 'sealops.yaml');
    writeFileSync(file, formatKubesealYaml(sealSecret(secret, pair.publicKey)));
    run(['--cert', certPath, '-o', 'yaml', '--merge-into', file], stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns-a' }, stringData: { extra: 'x' } }));
    const out = unsealSealedSecret(parse(readFileSync(file, 'utf8')), [pair.privateKey]);
    expect(out.data).toEqual({ ...expectedData(), extra: Buffer.from('x').toString('base64') });
  });

  it('kubeseal reads the key from a controller key Secret holding a sealops key, as sealops does', () => {
    const keySecret = {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/tls',
      metadata: { name: 'sealed-secrets-key', namespace: 'kube-system' },
      data: { 'tls.crt': Buffer.from(pair.certificatePem).toString('base64'), 'tls.key': Buffer.from(pair.privateKeyPem).toString('base64') },
    };
    const keyFile = join(dir, 'key-secret.yaml');
    writeFileSync(keyFile, stringify(keySecret), { mode: 0o600 });
    const sealed = formatKubesealYaml(sealSecret(secret, pair.publicKey, { scope: 'namespace-wide' }));
    expect(parse(run(['--recovery-unseal', '--recovery-private-key', keyFile, '-o', 'yaml'], sealed)).data).toEqual(expectedData());
    expect(loadRsaPrivateKeys(readFileSync(keyFile, 'utf8'))[0]!.equals(pair.privateKey)).toBe(true);
  });
});

describe('output shape', () => {
  it.each(SCOPES)('prints a %s SealedSecret exactly as kubeseal -o yaml does, apart from the random ciphertext', (scope) => {
    const mask = (text: string): string => text.replace(/^( {4}[a-z]+: )[A-Za-z0-9+/=]{100,}$/gm, '$1<sealed>');
    const theirs = run(['--cert', certPath, '-o', 'yaml', '--scope', scope], JSON.stringify(secret));
    const ours = formatKubesealYaml(sealSecret(secret, pair.publicKey, { scope }));
    expect(mask(theirs)).toContain('<sealed>');
    expect(mask(ours)).toBe(mask(theirs));
  });

  it('unseals to the same Secret kubeseal --recovery-unseal prints, apart from the owner reference the controller adds', () => {
    const sealed = formatKubesealYaml(sealSecret(secret, pair.publicKey));
    const theirs = parse(run(['--recovery-unseal', '--recovery-private-key', keyPath, '-o', 'yaml'], sealed));
    delete theirs.metadata.ownerReferences;
    expect(unsealSealedSecret(parse(sealed), [pair.privateKey])).toEqual(theirs);
  });
});

describe('through the sealops CLI', () => {
  async function cli(argv: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
    const { runCli } = await import('../../cli/program.js');
    const { PassThrough, Readable } = await import('node:stream');
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const stdout = new PassThrough().on('data', (d: Buffer) => out.push(d));
    const stderr = new PassThrough().on('data', (d: Buffer) => err.push(d));
    const code = await runCli(argv, { stdin: Readable.from([Buffer.from(stdin)]), stdout, stderr, env: {}, cwd: dir, exitCode: 0 });
    return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
  }

  it('sealops seal --cert output opens with kubeseal --recovery-unseal', async () => {
    const sealed = await cli(['seal', '--cert', certPath, '--scope', 'cluster-wide'], JSON.stringify(secret));
    expect(sealed.code).toBe(0);
    const back = parse(run(['--recovery-unseal', '--recovery-private-key', keyPath, '-o', 'yaml'], sealed.stdout));
    expect(back.data).toEqual(expectedData());
  });

  it('kubeseal output opens with sealops unseal -k, and verifies with sealops verify', async () => {
    const file = join(dir, 'from-kubeseal.yaml');
    writeFileSync(file, run(['--cert', certPath, '-o', 'yaml'], JSON.stringify(secret)));
    const unsealed = await cli(['unseal', file, '-k', keyPath]);
    expect(unsealed.stderr).toBe('');
    expect(parse(unsealed.stdout).data).toEqual(expectedData());
    const verified = await cli(['verify', file]);
    expect(verified.code).toBe(0);
  });
});
