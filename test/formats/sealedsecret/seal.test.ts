import { type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { formatKubesealYaml, sealSecret, unsealSealedSecret, type SealingScope } from '../../../src/index.js';
import { InputError } from '../../../src/errors.js';
import { decodeValue, labelFor } from './independent-decoder.js';
import { rsaKeyPair } from '../../support/rsa.js';

let publicKey: KeyObject;
let privateKey: KeyObject;

beforeAll(() => {
  ({ publicKey, privateKey } = rsaKeyPair(2048));
});

function secret(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'db', namespace: 'ns-a', labels: { app: 'web' }, annotations: { note: 'yes' } },
    type: 'Opaque',
    data: { password: Buffer.from('hunter2').toString('base64') },
    stringData: { user: 'admin' },
    ...extra,
  };
}

describe('sealSecret', () => {
  it.each<SealingScope>(['strict', 'namespace-wide', 'cluster-wide'])(
    'seals every value so the independent decoder opens it with the %s label',
    (scope) => {
      const sealed = sealSecret(secret(), publicKey, { scope });
      const label = labelFor(scope, 'ns-a', 'db');
      expect(decodeValue(privateKey, sealed.spec.encryptedData.password!, label).toString()).toBe('hunter2');
      expect(decodeValue(privateKey, sealed.spec.encryptedData.user!, label).toString()).toBe('admin');
    },
  );

  it('writes the object kubeseal writes: own metadata with name and namespace, template with metadata, type and immutable', () => {
    const sealed = sealSecret(secret({ immutable: true }), publicKey);
    expect(sealed.apiVersion).toBe('bitnami.com/v1alpha1');
    expect(sealed.kind).toBe('SealedSecret');
    expect(sealed.metadata).toEqual({ name: 'db', namespace: 'ns-a' });
    expect(sealed.spec.template).toEqual({
      metadata: { name: 'db', namespace: 'ns-a', labels: { app: 'web' }, annotations: { note: 'yes' } },
      type: 'Opaque',
      immutable: true,
    });
    expect(Object.keys(sealed.spec.encryptedData)).toEqual(['password', 'user']);
  });

  it('puts the scope annotation on the SealedSecret and its template', () => {
    const ns = sealSecret(secret(), publicKey, { scope: 'namespace-wide' });
    expect(ns.metadata.annotations).toEqual({ 'sealedsecrets.bitnami.com/namespace-wide': 'true' });
    expect(ns.spec.template.metadata.annotations?.['sealedsecrets.bitnami.com/namespace-wide']).toBe('true');
    const cw = sealSecret(secret(), publicKey, { scope: 'cluster-wide' });
    expect(cw.metadata.annotations).toEqual({ 'sealedsecrets.bitnami.com/cluster-wide': 'true' });
    expect(sealSecret(secret(), publicKey, { scope: 'strict' }).metadata.annotations).toBeUndefined();
  });

  it("takes the scope from the Secret's own annotations when none is asked for, and an explicit scope replaces them", () => {
    const annotated = secret({
      metadata: { name: 'db', namespace: 'ns-a', annotations: { 'sealedsecrets.bitnami.com/cluster-wide': 'true' } },
    });
    const sealed = sealSecret(annotated, publicKey);
    expect(decodeValue(privateKey, sealed.spec.encryptedData.user!, '').toString()).toBe('admin');
    const narrowed = sealSecret(annotated, publicKey, { scope: 'strict' });
    expect(narrowed.metadata.annotations).toBeUndefined();
    expect(narrowed.spec.template.metadata.annotations).toBeUndefined();
    expect(decodeValue(privateKey, narrowed.spec.encryptedData.user!, 'ns-a/db').toString()).toBe('admin');
  });

  it('drops server-set fields, owner references and the last-applied annotation (it holds plaintext)', () => {
    const sealed = sealSecret(
      secret({
        metadata: {
          name: 'db',
          namespace: 'ns-a',
          uid: 'u',
          resourceVersion: '7',
          creationTimestamp: '2024-01-01T00:00:00Z',
          ownerReferences: [{ kind: 'X' }],
          managedFields: [{}],
          annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"data":{"password":"aHVudGVyMg=="}}' },
        },
      }),
      publicKey,
    );
    expect(sealed.spec.template.metadata).toEqual({ name: 'db', namespace: 'ns-a' });
    expect(formatKubesealYaml(sealed)).not.toContain('aHVudGVyMg');
  });

  it('lets stringData win over data for the same key, as the API server does', () => {
    const sealed = sealSecret(secret({ data: { user: Buffer.from('old').toString('base64') }, stringData: { user: 'new' } }), publicKey);
    expect(decodeValue(privateKey, sealed.spec.encryptedData.user!, 'ns-a/db').toString()).toBe('new');
  });

  it('round-trips binary data exactly', () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const sealed = sealSecret(secret({ data: { blob: bytes.toString('base64') }, stringData: undefined }), publicKey);
    const back = unsealSealedSecret(sealed, [privateKey]);
    expect(Buffer.from(back.data!.blob!, 'base64')).toEqual(bytes);
  });

  it('refuses input that is not a Secret, has no name, no namespace or no data, with the reason', () => {
    expect(() => sealSecret({ kind: 'ConfigMap', metadata: { name: 'x' } }, publicKey)).toThrow(/expected a v1 Secret/);
    expect(() => sealSecret(secret({ metadata: { namespace: 'a' } }), publicKey)).toThrow(/no metadata.name/);
    expect(() => sealSecret(secret({ metadata: { name: 'db' } }), publicKey)).toThrow(/no metadata.namespace/);
    expect(() => sealSecret(secret({ data: {}, stringData: {} }), publicKey)).toThrow(/data and stringData are empty/);
    expect(sealSecret(secret({ data: {}, stringData: {} }), publicKey, { allowEmptyData: true }).spec.encryptedData).toEqual({});
  });

  it('seals a cluster-wide Secret without a namespace and leaves the namespace out', () => {
    const sealed = sealSecret(secret({ metadata: { name: 'db' } }), publicKey, { scope: 'cluster-wide' });
    expect(sealed.metadata.namespace).toBeUndefined();
    expect(decodeValue(privateKey, sealed.spec.encryptedData.password!, '').toString()).toBe('hunter2');
  });

  it('refuses data that is not base64 and stringData that is not a string, naming the key but not the value', () => {
    let message = '';
    try {
      sealSecret(secret({ data: { password: 'not base64 s3cr3t!' } }), publicKey);
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/data.password is not base64/);
    expect(message).not.toContain('s3cr3t');
    expect(() => sealSecret(secret({ stringData: { port: 5432 } }), publicKey)).toThrow(/stringData.port must be a string/);
    expect(() => sealSecret(secret({ stringData: { 'bad/key': 'x' } }), publicKey)).toThrow(/not a valid Secret key/);
  });
});

describe('formatKubesealYaml', () => {
  it('prints a --- line, sorted keys and unwrapped values, and parses back to the same object', () => {
    const sealed = sealSecret(secret({ immutable: true }), publicKey, { scope: 'namespace-wide' });
    const text = formatKubesealYaml(sealed);
    expect(text.startsWith('---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  annotations:\n')).toBe(true);
    expect(text).toContain('    sealedsecrets.bitnami.com/namespace-wide: "true"\n');
    expect(text).toMatch(/\n {4}password: [A-Za-z0-9+/=]{300,}\n/);
    expect(parse(text)).toEqual(sealed);
  });
});
