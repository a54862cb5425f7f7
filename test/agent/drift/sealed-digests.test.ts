import { describe, expect, it } from 'vitest';
import { indexSealedSources } from '../../../src/agent/decrypt/sources.js';
import { lightSealedSources, readSealedDigests, sealedKeyDigests, SEALED_DIGESTS_ANNOTATION, stampSealedDigests } from '../../../src/agent/drift/sealed-digests.js';
import type { KubeObject, Manifest } from '../../../src/build/index.js';

const ENC = (d: string): string => `ENC[AES256_GCM,data:${d},iv:aXY=,tag:dGFn,type:str]`;
const noIndex = indexSealedSources([]);

function secret(fields: Record<string, unknown>, extra: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'app' }, ...fields, ...extra };
}

describe('sealed-key digests', () => {
  it('gives each sealed key of a SOPS Secret a digest of its ciphertext, and none to an empty value', () => {
    const d = sealedKeyDigests(secret({ stringData: { password: ENC('cGFzcw=='), user: ENC('dXNlcg=='), empty: '' } }, { sops: {} }), noIndex)!;
    expect(Object.keys(d)).toEqual(['password', 'user']);
    expect(d.password).toMatch(/^[0-9a-f]{32}$/);
    expect(d.password).not.toBe(d.user);
  });

  it('keeps a digest while the ciphertext stays and changes it when the value is re-encrypted', () => {
    const a = sealedKeyDigests(secret({ data: { k: ENC('YWFh') } }, { sops: {} }), noIndex)!;
    const same = sealedKeyDigests(secret({ data: { k: ENC('YWFh') } }, { sops: {} }), noIndex)!;
    const other = sealedKeyDigests(secret({ data: { k: ENC('YmJi') } }, { sops: {} }), noIndex)!;
    expect(same.k).toBe(a.k);
    expect(other.k).not.toBe(a.k);
  });

  it("digests a SealedSecret's encryptedData entries", () => {
    const sealed: KubeObject = { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 'tok', namespace: 'app' }, spec: { encryptedData: { token: 'QWdC'.repeat(10) } } };
    expect(Object.keys(sealedKeyDigests(sealed, noIndex)!)).toEqual(['token']);
  });

  it('publishes nothing for a Secret that is not sealed (a plaintext digest could be guessed)', () => {
    expect(sealedKeyDigests(secret({ data: { password: Buffer.from('hunter22').toString('base64') } }), noIndex)).toBeUndefined();
  });

  it('stamps the annotation on the unsealed Secret at the same position, and reads it back', () => {
    const sealed: Manifest[] = [{ object: secret({ stringData: { password: ENC('cGFzcw==') } }, { sops: {} }), file: 'db.yaml', doc: 0 }];
    const plain: Manifest[] = [{ object: secret({ data: { password: Buffer.from('plain-value-1').toString('base64') } }), file: 'db.yaml', doc: 0 }];
    const [stamped] = stampSealedDigests(sealed, plain, []);
    const text = (stamped!.object.metadata.annotations as Record<string, string>)[SEALED_DIGESTS_ANNOTATION]!;
    expect(text).not.toContain('plain-value-1');
    expect(readSealedDigests(stamped!.object)).toEqual(sealedKeyDigests(sealed[0]!.object, noIndex));
    expect(plain[0]!.object.metadata.annotations).toBeUndefined();
  });

  it('finds the sealed dotenv line or sealed file behind a generated Secret\'s entry, as the decrypt stage does', () => {
    const dotenv = Buffer.from(`password=${ENC('cHc=')}\nsops_mac=${ENC('bWFj')}\n`);
    const file = Buffer.from(`key: ${ENC('a2V5')}\nsops:\n  mac: x\n`);
    const sources = [{ path: 'db.env', content: dotenv }, { path: 'tls.yaml', content: file }, { path: 'plain.env', content: Buffer.from('user=app\n') }];
    const generated = secret({ data: { password: Buffer.from(ENC('cHc=')).toString('base64'), 'tls.yaml': file.toString('base64'), user: Buffer.from('app').toString('base64'), sops_mac: Buffer.from(ENC('bWFj')).toString('base64') } });
    const light = sealedKeyDigests(generated, lightSealedSources(sources))!;
    expect(Object.keys(light)).toEqual(['password', 'tls.yaml']);
    expect(light).toEqual(sealedKeyDigests(generated, indexSealedSources(sources)));
  });

  it('reads a missing or malformed annotation as none', () => {
    expect(readSealedDigests(undefined)).toBeUndefined();
    expect(readSealedDigests(secret({}, { metadata: { name: 'x', annotations: { [SEALED_DIGESTS_ANNOTATION]: '{not json' } } }))).toBeUndefined();
    expect(readSealedDigests(secret({}, { metadata: { name: 'x', annotations: { [SEALED_DIGESTS_ANNOTATION]: '{"k":1}' } } }))).toBeUndefined();
  });
});
