import { describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import { generateRsaKeyPair, loadReencryptKeys } from '../../src/index.js';
import { rsaFingerprint } from '../../src/crypto/rsa-fingerprint.js';

const a = await generateRsaKeyPair({ commonName: 'a', bits: 2048, days: 1 });
const b = await generateRsaKeyPair({ commonName: 'b', bits: 2048, days: 1 });
const fp = (pem: string): string => rsaFingerprint(createPublicKey(pem));

describe('loadReencryptKeys', () => {
  it('decrypts with every set and encrypts with the newest by creation time, whatever the list order', () => {
    const keys = loadReencryptKeys([
      { name: 'new', entries: { 'cluster.pem': b.privateKeyPem, 'cluster.crt': b.certificatePem }, createdAt: '2026-02-01T00:00:00Z' },
      { name: 'old', entries: { 'cluster.pem': a.privateKeyPem, 'cluster.crt': a.certificatePem }, createdAt: '2026-01-01T00:00:00Z' },
    ]);
    expect(keys.newest).toBe('new');
    expect(keys.encryptFingerprint).toBe(fp(b.privateKeyPem));
    expect(keys.decrypt.map((k) => rsaFingerprint(createPublicKey(k))).sort()).toEqual([fp(a.privateKeyPem), fp(b.privateKeyPem)].sort());
  });

  it('skips a malformed key entry, naming it only, while the other keys still work', () => {
    const keys = loadReencryptKeys([{ name: 'sealops-keys', entries: { 'broken.pem': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n', 'cluster.pem': a.privateKeyPem } }]);
    expect(keys.skipped).toEqual(['sealops-keys/broken.pem']);
    expect(keys.decrypt).toHaveLength(1);
  });

  it('seals to the key the published certificate names, and refuses a certificate of no key in the set', () => {
    const both = loadReencryptKeys([{ name: 's', entries: { 'a.pem': b.privateKeyPem, 'z.pem': a.privateKeyPem, 'cluster.crt': b.certificatePem } }]);
    expect(both.encryptFingerprint).toBe(fp(b.privateKeyPem));
    expect(() => loadReencryptKeys([{ name: 's', entries: { 'cluster.pem': a.privateKeyPem, 'cluster.crt': b.certificatePem } }])).toThrow(/certificate s\/cluster.crt does not belong to any RSA key/);
    expect(() => loadReencryptKeys([])).toThrow(/no key set found/);
  });
});
