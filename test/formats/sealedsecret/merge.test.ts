import { type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { mergeIntoSealedSecret, sealSecret, type SealedSecret } from '../../../src/index.js';
import { InputError } from '../../../src/errors.js';
import { decodeValue } from './independent-decoder.js';
import { rsaKeyPair } from '../../support/rsa.js';

let publicKey: KeyObject;
let privateKey: KeyObject;
let existing: SealedSecret;

beforeAll(() => {
  ({ publicKey, privateKey } = rsaKeyPair(2048));
  existing = sealSecret(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'db', namespace: 'ns-a', labels: { app: 'web' } },
      stringData: { user: 'admin', password: 'old' },
    },
    publicKey,
    { scope: 'namespace-wide' },
  );
});

describe('mergeIntoSealedSecret', () => {
  it('adds and replaces the new keys and keeps the ciphertext of the others byte for byte', () => {
    const merged = mergeIntoSealedSecret(
      existing,
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'ignored', namespace: 'ignored' }, stringData: { password: 'new', token: 't0k' } },
      publicKey,
    );
    expect(merged.spec.encryptedData.user).toBe(existing.spec.encryptedData.user);
    expect(merged.spec.encryptedData.password).not.toBe(existing.spec.encryptedData.password);
    expect(Object.keys(merged.spec.encryptedData).sort()).toEqual(['password', 'token', 'user']);
    // Sealed in the existing SealedSecret's name, namespace and scope.
    expect(decodeValue(privateKey, merged.spec.encryptedData.password!, 'ns-a').toString()).toBe('new');
    expect(decodeValue(privateKey, merged.spec.encryptedData.token!, 'ns-a').toString()).toBe('t0k');
    expect(merged.metadata).toEqual(existing.metadata);
  });

  it('merges template labels and annotations and leaves the input object alone', () => {
    const before = structuredClone(existing);
    const merged = mergeIntoSealedSecret(
      existing,
      { apiVersion: 'v1', kind: 'Secret', metadata: { labels: { tier: 'db' }, annotations: { a: 'b' } }, stringData: { k: 'v' } },
      publicKey,
    );
    expect(merged.spec.template.metadata.labels).toEqual({ app: 'web', tier: 'db' });
    expect(merged.spec.template.metadata.annotations).toMatchObject({ a: 'b', 'sealedsecrets.bitnami.com/namespace-wide': 'true' });
    expect(existing).toEqual(before);
  });

  it('refuses a scope that differs from the existing one, and a target that is not a SealedSecret', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: {}, stringData: { k: 'v' } };
    expect(() => mergeIntoSealedSecret(existing, secret, publicKey, { scope: 'strict' })).toThrow(/sealed namespace-wide, not strict/);
    expect(() => mergeIntoSealedSecret({ kind: 'Secret' }, secret, publicKey)).toThrow(InputError);
  });
});
