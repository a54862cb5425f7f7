import { describe, expect, it } from 'vitest';
import { generateAgeKeyPair } from '../../src/crypto/age.js';
import { generateRsaKeyPair } from '../../src/keys/rsa-keygen.js';
import { keySetFingerprint } from '../../src/keys/fingerprint.js';

describe('keySetFingerprint', () => {
  it('names a key set by its public halves, whatever their order, and tells sets apart', async () => {
    const [a, b] = [await generateAgeKeyPair(), await generateAgeKeyPair()];
    const rsa = await generateRsaKeyPair({ commonName: 'sealops', bits: 2048, days: 1 });
    const one = keySetFingerprint({ recipients: [a.recipient, b.recipient], certificates: [rsa.certificatePem] });
    expect(one).toMatch(/^ks-[0-9a-f]{16}$/);
    expect(keySetFingerprint({ recipients: [b.recipient, a.recipient], certificates: [rsa.certificatePem] })).toBe(one);
    expect(keySetFingerprint({ recipients: [a.recipient], certificates: [rsa.certificatePem] })).not.toBe(one);
    expect(keySetFingerprint({ recipients: [a.recipient, b.recipient], certificates: [] })).not.toBe(one);
  });
});
