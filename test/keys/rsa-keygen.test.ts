import { execFileSync } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { generateRsaKeyPair, loadRsaCertificate, loadRsaPrivateKeys } from '../../src/keys/index.js';
import { InputError } from '../../src/errors.js';

describe('generateRsaKeyPair', () => {
  it('makes an RSA-4096 key and a self-signed certificate for that same key by default', async () => {
    const pair = await generateRsaKeyPair();
    expect(pair.privateKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    const cert = new X509Certificate(pair.certificatePem);
    expect(cert.publicKey.export({ type: 'spki', format: 'der' })).toEqual(
      createPublicKey(pair.privateKey).export({ type: 'spki', format: 'der' }),
    );
    expect(cert.verify(pair.publicKey)).toBe(true);
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.subject).toBe('CN=sealed-secret');
    // The controller's shape: CA basic constraints with the encipher-only key usage (read back by openssl).
    const ext = execFileSync('openssl', ['x509', '-noout', '-ext', 'basicConstraints,keyUsage'], { input: pair.certificatePem }).toString();
    expect(ext).toMatch(/CA:TRUE/);
    expect(ext).toMatch(/Encipher Only/);
    expect(pair.privateKeyPem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
  });

  it('writes the common name and validity asked for', async () => {
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const pair = await generateRsaKeyPair({ bits: 2048, commonName: 'prod-cluster', days: 30, notBefore });
    const cert = new X509Certificate(pair.certificatePem);
    expect(cert.subject).toBe('CN=prod-cluster');
    expect(cert.issuer).toBe('CN=prod-cluster');
    expect(new Date(cert.validFrom).toISOString()).toBe('2030-01-01T00:00:00.000Z');
    expect(new Date(cert.validTo).toISOString()).toBe('2030-01-31T00:00:00.000Z');
  });

  it('produces a key and certificate that the loaders accept', async () => {
    const pair = await generateRsaKeyPair({ bits: 2048 });
    const cert = loadRsaCertificate(pair.certificatePem);
    expect(cert.bits).toBe(2048);
    expect(cert.warnings).toEqual([]);
    const [key] = loadRsaPrivateKeys(pair.privateKeyPem);
    expect(key?.equals(pair.privateKey)).toBe(true);
  });

  it('refuses key sizes below 2048 bits and nonsense validity', async () => {
    await expect(generateRsaKeyPair({ bits: 1024 })).rejects.toThrow(InputError);
    await expect(generateRsaKeyPair({ bits: 2048, days: 0 })).rejects.toThrow(/validity/);
  });
});
