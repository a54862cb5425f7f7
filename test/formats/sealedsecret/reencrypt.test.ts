import { describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import { reencryptSealedSecret, sealSecret, unsealSealedSecret, type SealingScope } from '../../../src/index.js';
import { rsaKeyPair } from '../../support/rsa.js';

const oldPair = rsaKeyPair(2048);
const newPair = rsaKeyPair(2048);
const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'team-a', labels: { app: 'web' } }, stringData: { password: 'hunter2-hunter2', user: 'admin' } };
const keys = { decrypt: [oldPair.privateKey, newPair.privateKey], encrypt: createPublicKey(newPair.privateKey) };
const WIDE = { 'sealedsecrets.bitnami.com/cluster-wide': 'true' };

function values(obj: unknown, privateKey = newPair.privateKey): Record<string, string> {
  const data = unsealSealedSecret(obj, [privateKey]).data ?? {};
  return Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

describe('reencryptSealedSecret', () => {
  it.each<SealingScope>(['strict', 'namespace-wide', 'cluster-wide'])('re-encrypts a %s SealedSecret to the new key only, keeping its scope and template', (scope) => {
    const sealed = sealSecret(secret, oldPair.publicKey, { scope });
    const { sealed: out, scope: kept } = reencryptSealedSecret(sealed, keys);
    expect(kept).toBe(scope);
    expect(values(out)).toEqual({ password: 'hunter2-hunter2', user: 'admin' });
    expect(() => unsealSealedSecret(out, [oldPair.privateKey])).toThrow(/failed to unseal/);
    expect(out.spec.template.metadata.labels).toEqual({ app: 'web' });
    expect(out.metadata.annotations).toEqual(sealed.metadata.annotations);
    expect(Object.keys(out.spec.encryptedData)).toEqual(Object.keys(sealed.spec.encryptedData));
    for (const k of Object.keys(out.spec.encryptedData)) expect(out.spec.encryptedData[k]).not.toBe(sealed.spec.encryptedData[k]);
  });

  it('refuses a strict SealedSecret whose template claims cluster-wide, and one whose own metadata does', () => {
    const sealed = sealSecret(secret, oldPair.publicKey);
    const viaTemplate = structuredClone(sealed);
    viaTemplate.spec.template.metadata.annotations = WIDE;
    expect(() => reencryptSealedSecret(viaTemplate, keys)).toThrow(/spec.template.metadata.annotations claim cluster-wide but the SealedSecret is sealed strict/);
    const viaMetadata = structuredClone(sealed);
    viaMetadata.metadata.annotations = WIDE;
    expect(() => reencryptSealedSecret(viaMetadata, keys)).toThrow(/failed to re-encrypt team-a\/db key password \(sealed cluster-wide\)/);
  });

  it('keeps a strict value bound to its namespace and name: the output does not open when moved', () => {
    const out = reencryptSealedSecret(sealSecret(secret, oldPair.publicKey), keys).sealed;
    for (const metadata of [{ name: 'db', namespace: 'team-b' }, { name: 'other', namespace: 'team-a' }, { name: 'db', namespace: 'team-b', annotations: WIDE }]) {
      expect(() => unsealSealedSecret({ ...out, metadata }, [newPair.privateKey])).toThrow(/failed to unseal/);
    }
  });

  it('refuses a SealedSecret moved before re-encryption, naming the key and never a value', () => {
    const moved = sealSecret(secret, oldPair.publicKey);
    moved.metadata.namespace = 'team-b';
    let message = '';
    try {
      reencryptSealedSecret(moved, keys);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^failed to re-encrypt team-b\/db key password \(sealed strict\)/);
    expect(message).not.toContain('hunter2');
  });
});
