import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MacError } from '../../../src/index.js';
import { encryptMac, MacBuilder, verifyMac } from '../../../src/formats/sops/mac.js';
import { generateDataKey } from '../../../src/crypto/datakey.js';

describe('the SOPS MAC', () => {
  it('is the upper-case SHA-512 of the leaves concatenated in order', () => {
    const m = new MacBuilder();
    m.add(Buffer.from('a'));
    m.add(Buffer.from('bc'));
    expect(m.digest()).toBe(createHash('sha512').update('abc').digest('hex').toUpperCase());
  });

  it('starts from a fixed prefix in mac_only_encrypted mode, so the two modes never share a MAC', () => {
    const plain = new MacBuilder();
    const only = new MacBuilder(true);
    plain.add(Buffer.from('x'));
    only.add(Buffer.from('x'));
    const prefix = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');
    expect(only.digest()).toBe(createHash('sha512').update(prefix).update('x').digest('hex').toUpperCase());
    expect(plain.digest()).not.toBe(createHash('sha512').update(prefix).update('x').digest('hex').toUpperCase());
  });

  it('verifies only under the same data key, digest and lastmodified', () => {
    const key = generateDataKey();
    const digest = 'AB'.repeat(64);
    const mac = encryptMac(key, digest, '2025-01-01T00:00:00Z');
    expect(() => verifyMac(key, mac, '2025-01-01T00:00:00Z', digest, 'f')).not.toThrow();
    expect(() => verifyMac(key, mac, '2025-01-01T00:00:01Z', digest, 'f')).toThrow(MacError);
    expect(() => verifyMac(key, mac, '2025-01-01T00:00:00Z', 'CD'.repeat(64), 'f')).toThrow(/MAC mismatch/);
    expect(() => verifyMac(generateDataKey(), mac, '2025-01-01T00:00:00Z', digest, 'f')).toThrow(MacError);
  });
});
