import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadRsaPrivateKeys } from '../../src/keys/index.js';
import { KeyError } from '../../src/errors.js';
import { rsaKeyPair } from '../support/rsa.js';

let a: KeyObject;
let b: KeyObject;
let pemA: string;
let pemB: string;

beforeAll(() => {
  a = rsaKeyPair(2048).privateKey;
  b = rsaKeyPair(2048).privateKey;
  pemA = a.export({ type: 'pkcs1', format: 'pem' }).toString();
  pemB = b.export({ type: 'pkcs8', format: 'pem' }).toString();
});

/** The controller's key Secret, as `kubectl get secret -o yaml` shows it. */
function keySecret(name: string, pem: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type: 'kubernetes.io/tls',
    metadata: { name, namespace: 'kube-system', labels: { 'sealedsecrets.bitnami.com/sealed-secrets-key': 'active' } },
    data: { 'tls.crt': Buffer.from('cert').toString('base64'), 'tls.key': Buffer.from(pem).toString('base64') },
  };
}

describe('loadRsaPrivateKeys', () => {
  it('reads PKCS#1 and PKCS#8 PEM keys, several in one file, skipping certificates', () => {
    const keys = loadRsaPrivateKeys(`${pemA}\n-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n${pemB}`);
    expect(keys).toHaveLength(2);
    expect(keys[0]!.equals(a)).toBe(true);
    expect(keys[1]!.equals(b)).toBe(true);
  });

  it('reads the controller key Secret (tls.key) from YAML, JSON and a List of Secrets', () => {
    expect(loadRsaPrivateKeys(stringify(keySecret('k1', pemA)))[0]!.equals(a)).toBe(true);
    expect(loadRsaPrivateKeys(JSON.stringify(keySecret('k1', pemA)))[0]!.equals(a)).toBe(true);
    const list = { apiVersion: 'v1', kind: 'List', items: [keySecret('k1', pemA), keySecret('k2', pemB)] };
    const keys = loadRsaPrivateKeys(stringify(list));
    expect(keys.map((k) => k.equals(a) || k.equals(b))).toEqual([true, true]);
    const multi = `${stringify(keySecret('k1', pemA))}---\n${stringify(keySecret('k2', pemB))}`;
    expect(loadRsaPrivateKeys(multi)[1]!.equals(b)).toBe(true);
  });

  it('refuses a Secret without tls.key, naming the Secret', () => {
    const s = keySecret('no-key', pemA);
    delete (s.data as Record<string, string>)['tls.key'];
    expect(() => loadRsaPrivateKeys(stringify(s), 'k.yaml')).toThrow(KeyError);
    expect(() => loadRsaPrivateKeys(stringify(s), 'k.yaml')).toThrow(/Secret no-key.*no tls.key/);
  });

  it('refuses EC keys, 1024-bit RSA keys and passphrase-protected keys', () => {
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    expect(() => loadRsaPrivateKeys(ec)).toThrow(/expected an RSA private key, got ec/);
    const small = rsaKeyPair(1024).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    expect(() => loadRsaPrivateKeys(small)).toThrow(/1024 bits is below the minimum/);
    const dir = mkdtempSync(join(tmpdir(), 'sealops-pk-'));
    execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-aes256', '-pass', 'pass:pw', '-out', join(dir, 'enc.pem')], { stdio: 'pipe' });
    expect(() => loadRsaPrivateKeys(readFileSync(join(dir, 'enc.pem'), 'utf8'))).toThrow(/passphrase-protected/);
  });

  it('refuses a damaged PEM key without echoing any of its bytes', () => {
    const lines = pemA.split('\n');
    const damaged = [lines[0], lines[1], lines[2]!.slice(0, 20) + '!!', lines.at(-2), ''].join('\n');
    let message = '';
    try {
      loadRsaPrivateKeys(damaged, 'cluster.pem');
    } catch (err) {
      expect(err).toBeInstanceOf(KeyError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/failed to read cluster.pem \(PEM block 1\): not a valid RSA PRIVATE KEY/);
    expect(message).not.toContain(lines[1]!.slice(0, 16));
  });

  it('refuses text that is neither PEM nor a manifest', () => {
    expect(() => loadRsaPrivateKeys('AGE-SECRET-KEY-1QQQQ', 'age.txt')).toThrow(KeyError);
    expect(() => loadRsaPrivateKeys(': : :\n\t- [', 'x')).toThrow(/neither PEM nor/);
  });
});
