// The key-set model without a cluster: which entries are malformed, how keysets.json is built
// and read back, decryption keys newest set first, which set opens which sealed file, and the
// --key-rotation syntax. Keys come from the agent's own generator (age X25519, RSA 2048).
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { generateClusterKeyEntries, publicKeysOf } from '../../src/agent/keys.js';
import { decryptionKeysOf, keySetListing, malformedEntries, parseKeySetListing, type StoredKeySet } from '../../src/agent/keysets.js';
import { keysInUse } from '../../src/agent/keys-in-use.js';
import { parseKeyRotation } from '../../src/agent/keys-admin.js';
import { keySetFingerprint } from '../../src/keys/fingerprint.js';
import { sealSecret } from '../../src/formats/sealedsecret/index.js';
import { sealSops } from '../../src/formats/sops/index.js';
import { createPublicKey } from 'node:crypto';
import type { Manifest } from '../../src/build/index.js';

async function storedSet(name: string, createdAt: string, extra: Record<string, string> = {}): Promise<StoredKeySet> {
  const entries = { ...(await generateClusterKeyEntries({ rsaBits: 2048, days: 30 })), ...extra };
  const malformed = malformedEntries(entries);
  const keys = await publicKeysOf(Object.fromEntries(Object.entries(entries).filter(([k]) => !malformed.includes(k))));
  return { name, fingerprint: keySetFingerprint(keys), createdAt, entries, malformed, ...keys };
}

describe('malformedEntries', () => {
  it('names an entry that only looks like a key, and no good entry', async () => {
    const good = await generateClusterKeyEntries({ rsaBits: 2048, days: 30 });
    const entries = { ...good, 'broken.agekey': 'AGE-SECRET-KEY-1NOTAKEY', 'junk.pem': 'not a key', 'notes.txt': 'anything' };
    expect(malformedEntries(entries)).toEqual(['broken.agekey', 'junk.pem']);
    expect(malformedEntries(good)).toEqual([]);
  });
});

describe('keySetListing', () => {
  it('marks the newest set active and the others previous, and keeps a set whose Secret is gone as retired', async () => {
    const a = await storedSet('sealops-keys', '2026-01-01T00:00:00Z');
    const b = await storedSet('sealops-keys-after-x', '2026-02-01T00:00:00Z');
    const now = new Date('2026-03-01T00:00:00Z');
    const first = keySetListing([a, b], [], now);
    expect(first.map((k) => [k.fingerprint, k.state])).toEqual([
      [a.fingerprint, 'previous'],
      [b.fingerprint, 'active'],
    ]);
    const text = JSON.stringify(first);
    expect(text).not.toContain('PRIVATE KEY');
    expect(text).not.toContain('AGE-SECRET-KEY');
    const after = keySetListing([b], parseKeySetListing(text), now);
    expect(after[0]).toEqual({ fingerprint: a.fingerprint, createdAt: a.createdAt, recipients: a.recipients, certificates: a.certificates, state: 'retired', retiredAt: now.toISOString() });
    // retiredAt survives later publications.
    expect(keySetListing([b], after, new Date('2027-01-01T00:00:00Z'))[0]!.retiredAt).toBe(now.toISOString());
  });

  it('reads anything that is not a listing as none', () => {
    expect(parseKeySetListing(undefined)).toEqual([]);
    expect(parseKeySetListing('{')).toEqual([]);
    expect(parseKeySetListing('{"a":1}')).toEqual([]);
    expect(parseKeySetListing('[{"fingerprint":1}]')).toEqual([]);
  });
});

describe('decryptionKeysOf and keysInUse', () => {
  it('loads the newest set first, skips malformed entries by name, and counts each file for the newest set that opens it', async () => {
    const old = await storedSet('sealops-keys', '2026-01-01T00:00:00Z', { 'pasted.agekey': 'AGE-SECRET-KEY-1NOTAKEY' });
    const fresh = await storedSet('sealops-keys-after-x', '2026-02-01T00:00:00Z');
    const loaded = decryptionKeysOf([old, fresh]);
    expect(loaded.sets.map((s) => s.fingerprint)).toEqual([fresh.fingerprint, old.fingerprint]);
    expect(loaded.malformed).toEqual([{ secret: 'sealops-keys', entry: 'pasted.agekey' }]);
    expect(loaded.ageIdentities).toHaveLength(2);

    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'apps' }, stringData: { password: 'pw-123456' } };
    const sops = async (recipients: readonly string[]): Promise<Manifest> => {
      const text = await sealSops(stringify(secret), { recipients: [...recipients], format: 'yaml', source: 'db.yaml' });
      return { file: 'db.yaml', doc: 0, object: (await import('yaml')).parse(text) as Manifest['object'] };
    };
    const sealed = (certPem: string): Manifest => ({ file: 'tok.yaml', doc: 0, object: sealSecret(secret, createPublicKey(certPem)) as unknown as Manifest['object'] });

    expect(keysInUse({ manifests: [await sops(old.recipients)], sources: [] }, loaded.sets)).toEqual([old.fingerprint]);
    expect(keysInUse({ manifests: [await sops([...old.recipients, ...fresh.recipients])], sources: [] }, loaded.sets)).toEqual([fresh.fingerprint]);
    expect(keysInUse({ manifests: [sealed(old.certificates[0]!)], sources: [] }, loaded.sets)).toEqual([old.fingerprint]);
    expect(keysInUse({ manifests: [sealed(fresh.certificates[0]!), await sops(old.recipients)], sources: [] }, loaded.sets)).toEqual([fresh.fingerprint, old.fingerprint].sort());
    const env = Buffer.from(`password=ENC[AES256_GCM,data:x,iv:y,tag:z,type:str]\nsops_age__list_0__map_recipient=${old.recipients[0]}\nsops_mac=ENC[AES256_GCM,data:a,iv:b,tag:c,type:str]\n`);
    expect(keysInUse({ manifests: [], sources: [{ path: 'app.env', content: env }] }, loaded.sets)).toEqual([old.fingerprint]);
  });
});

describe('parseKeyRotation', () => {
  it('reads 0, days and Go durations, and refuses anything else', () => {
    expect(parseKeyRotation('0')).toBe(0);
    expect(parseKeyRotation('30d')).toBe(30 * 86_400_000);
    expect(parseKeyRotation('720h')).toBe(720 * 3_600_000);
    expect(() => parseKeyRotation('monthly')).toThrow(/failed to parse --key-rotation "monthly"/);
  });
});
