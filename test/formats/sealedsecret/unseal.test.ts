import { type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { isSealedSecret, sealSecret, unsealSealedSecret, verifySealedSecret, type SealedSecret } from '../../../src/index.js';
import { DecryptError, InputError, KeyError } from '../../../src/errors.js';
import { rsaKeyPair } from '../../support/rsa.js';

let publicKey: KeyObject;
let privateKey: KeyObject;
let otherKey: KeyObject;

beforeAll(() => {
  ({ publicKey, privateKey } = rsaKeyPair(2048));
  otherKey = rsaKeyPair(2048).privateKey;
});

function sealed(scope?: 'strict' | 'namespace-wide' | 'cluster-wide'): SealedSecret {
  return sealSecret(
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'name', namespace: 'ns-a', labels: { team: 'x' } },
      type: 'kubernetes.io/basic-auth',
      immutable: true,
      stringData: { username: 'admin', password: 'correct horse' },
    },
    publicKey,
    { scope },
  );
}

function moved(s: SealedSecret, namespace: string, name: string): SealedSecret {
  const copy = structuredClone(s);
  copy.metadata.namespace = namespace;
  copy.metadata.name = name;
  return copy;
}

describe('unsealSealedSecret', () => {
  it('returns a plain v1 Secret with base64 data, the name and namespace, and the template metadata, type and immutable', () => {
    expect(unsealSealedSecret(sealed(), [privateKey])).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'name', namespace: 'ns-a', labels: { team: 'x' } },
      type: 'kubernetes.io/basic-auth',
      immutable: true,
      data: {
        password: Buffer.from('correct horse').toString('base64'),
        username: Buffer.from('admin').toString('base64'),
      },
    });
  });

  it('does not open a strict SealedSecret for ns-a/name as ns-b/name or ns-a/other', () => {
    const s = sealed('strict');
    expect(() => unsealSealedSecret(moved(s, 'ns-b', 'name'), [privateKey])).toThrow(KeyError);
    expect(() => unsealSealedSecret(moved(s, 'ns-a', 'other'), [privateKey])).toThrow(KeyError);
    expect(unsealSealedSecret(moved(s, 'ns-a', 'name'), [privateKey]).metadata.name).toBe('name');
  });

  it('opens a namespace-wide SealedSecret under another name in its namespace, but not in another namespace', () => {
    const s = sealed('namespace-wide');
    expect(unsealSealedSecret(moved(s, 'ns-a', 'other'), [privateKey]).metadata.name).toBe('other');
    expect(() => unsealSealedSecret(moved(s, 'ns-b', 'name'), [privateKey])).toThrow(KeyError);
  });

  it('opens a cluster-wide SealedSecret in any namespace under any name', () => {
    const out = unsealSealedSecret(moved(sealed('cluster-wide'), 'ns-b', 'other'), [privateKey]);
    expect(out.metadata).toMatchObject({ name: 'other', namespace: 'ns-b' });
  });

  it('refuses to open when the scope annotation is removed from a wider-scoped SealedSecret', () => {
    const s = sealed('namespace-wide');
    delete s.metadata.annotations;
    expect(() => unsealSealedSecret(s, [privateKey])).toThrow(KeyError);
  });

  it('tries each key, and names the SealedSecret and key when none matches, without any value', () => {
    expect(unsealSealedSecret(sealed(), [otherKey, privateKey]).data?.username).toBe(Buffer.from('admin').toString('base64'));
    let message = '';
    try {
      unsealSealedSecret(sealed(), [otherKey]);
    } catch (err) {
      expect(err).toBeInstanceOf(KeyError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^failed to unseal ns-a\/name key password: no key matches/);
    expect(message).not.toMatch(/correct horse|admin/);
  });

  it('refuses a tampered value with a DecryptError and a truncated one with an InputError', () => {
    const s = sealed();
    const raw = Buffer.from(s.spec.encryptedData.password!, 'base64');
    raw[raw.length - 3]! ^= 0xff;
    const tampered = structuredClone(s);
    tampered.spec.encryptedData.password = raw.toString('base64');
    expect(() => unsealSealedSecret(tampered, [privateKey])).toThrow(DecryptError);
    const truncated = structuredClone(s);
    truncated.spec.encryptedData.password = raw.subarray(0, 100).toString('base64');
    expect(() => unsealSealedSecret(truncated, [privateKey])).toThrow(InputError);
  });

  it('refuses a SealedSecret missing its template, with a hint', () => {
    const s = sealed() as unknown as { spec: Record<string, unknown> };
    delete s.spec.template;
    let error: unknown;
    try {
      unsealSealedSecret(s, [privateKey]);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).message).toBe('failed to read SealedSecret: spec.template is missing');
    expect((error as InputError).hint).toMatch(/re-seal/);
  });

  it('refuses other malformed SealedSecrets: no name, no namespace when strict, bad base64, the old spec.data', () => {
    const noName = sealed() as unknown as { metadata: Record<string, unknown> };
    delete noName.metadata.name;
    expect(() => unsealSealedSecret(noName, [privateKey])).toThrow(/metadata.name is missing/);
    const noNs = sealed() as unknown as { metadata: Record<string, unknown> };
    delete noNs.metadata.namespace;
    expect(() => unsealSealedSecret(noNs, [privateKey])).toThrow(/metadata.namespace is missing/);
    const badB64 = sealed();
    badB64.spec.encryptedData.password = 'not*base64';
    expect(() => unsealSealedSecret(badB64, [privateKey])).toThrow(/spec.encryptedData.password is not base64/);
    const v1 = sealed() as unknown as { spec: Record<string, unknown> };
    v1.spec.data = 'AAAA';
    expect(() => unsealSealedSecret(v1, [privateKey])).toThrow(/spec.data/);
  });

  it('refuses a plaintext spec.template.data entry (a value anyone could inject), ignores one shadowed by a sealed key, renders Go templates and refuses the constructs it cannot render', () => {
    const s = sealed();
    s.spec.template.data = { password: 'ignored: sealed values win' };
    expect(Buffer.from(unsealSealedSecret(s, [privateKey]).data!.password!, 'base64').toString()).toBe('correct horse');
    s.spec.template.data = { 'config.ini': 'injected-host=evil' };
    const err = (() => {
      try {
        unsealSealedSecret(s, [privateKey]);
      } catch (e) {
        return e as Error;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(InputError);
    expect(err?.message).toMatch(/spec\.template\.data\.config\.ini is a plaintext value, not sealed/);
    expect(err?.message).not.toContain('injected-host');
    expect(verifySealedSecret(s, [privateKey]).problems).toEqual(['spec.template.data.config.ini is a plaintext value beside sealed ones']);
    s.spec.template.data = { url: 'postgres://{{ .username }}@db' };
    expect(Buffer.from(unsealSealedSecret(s, [privateKey]).data!.url!, 'base64').toString()).toBe('postgres://admin@db');
    s.spec.template.data = { url: '{{ range . }}x{{ end }}' };
    expect(() => unsealSealedSecret(s, [privateKey])).toThrow(/does not render range, end in a Go template/);
    expect(verifySealedSecret(s, []).ok).toBe(true);
  });
});

describe('isSealedSecret', () => {
  it('is true for bitnami.com SealedSecrets only', () => {
    expect(isSealedSecret(sealed())).toBe(true);
    expect(isSealedSecret({ apiVersion: 'v1', kind: 'Secret' })).toBe(false);
    expect(isSealedSecret({ apiVersion: 'example.com/v1', kind: 'SealedSecret' })).toBe(false);
    expect(isSealedSecret(null)).toBe(false);
  });
});
