import { type KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealSecret, verifySealedSecret, type SealedSecret } from '../../../src/index.js';
import { rsaKeyPair } from '../../support/rsa.js';

let publicKey: KeyObject;
let privateKey: KeyObject;
let good: SealedSecret;

beforeAll(() => {
  ({ publicKey, privateKey } = rsaKeyPair(2048));
  good = sealSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'n', namespace: 'ns' }, stringData: { a: 'secret-a', b: 'secret-b' } }, publicKey);
});

describe('verifySealedSecret', () => {
  it('passes a well-formed SealedSecret without keys, and with the right key opens every value', () => {
    expect(verifySealedSecret(good)).toEqual({ ok: true, problems: [], opened: 0 });
    expect(verifySealedSecret(good, [privateKey])).toEqual({ ok: true, problems: [], opened: 2 });
  });

  it('reports a missing template', () => {
    const s = structuredClone(good) as unknown as { spec: Record<string, unknown> };
    delete s.spec.template;
    const result = verifySealedSecret(s);
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(['failed to read SealedSecret: spec.template is missing']);
  });

  it('reports a truncated value and a lying length prefix without keys', () => {
    const s = structuredClone(good);
    const raw = Buffer.from(s.spec.encryptedData.a!, 'base64');
    s.spec.encryptedData.a = raw.subarray(0, 200).toString('base64');
    const lie = Buffer.from(raw);
    lie.writeUInt16BE(4000, 0);
    s.spec.encryptedData.b = lie.toString('base64');
    const result = verifySealedSecret(s);
    expect(result.ok).toBe(false);
    expect(result.problems).toHaveLength(2);
    expect(result.problems[0]).toMatch(/^spec.encryptedData.a: truncated/);
    expect(result.problems[1]).toMatch(/^spec.encryptedData.b: truncated, the length prefix says 4000 bytes/);
  });

  it('with keys, reports a value sealed for another name (copied in from elsewhere) and a wrong key', () => {
    const other = sealSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: 'ns' }, stringData: { a: 'v' } }, publicKey);
    const s = structuredClone(good);
    s.spec.encryptedData.a = other.spec.encryptedData.a!;
    expect(verifySealedSecret(s).ok).toBe(true); // structurally fine
    const full = verifySealedSecret(s, [privateKey]);
    expect(full.ok).toBe(false);
    expect(full.problems).toHaveLength(1);
    expect(full.problems[0]).toMatch(/^spec.encryptedData.a: no key matches/);
    const stranger = rsaKeyPair(2048).privateKey;
    expect(verifySealedSecret(good, [stranger]).problems).toHaveLength(2);
  });

  it('reports a template whose name, namespace or scope disagrees with the SealedSecret', () => {
    const s = structuredClone(good);
    s.spec.template.metadata.name = 'other';
    s.spec.template.metadata.annotations = { 'sealedsecrets.bitnami.com/cluster-wide': 'true' };
    const result = verifySealedSecret(s);
    expect(result.problems).toEqual([
      'spec.template.metadata.name other differs from metadata.name n',
      "annotation sealedsecrets.bitnami.com/cluster-wide on spec.template differs from the SealedSecret's own",
    ]);
  });

  it('never puts a plaintext value into a problem', () => {
    const s = structuredClone(good);
    const raw = Buffer.from(s.spec.encryptedData.a!, 'base64');
    raw[raw.length - 1]! ^= 1;
    s.spec.encryptedData.a = raw.toString('base64');
    const result = verifySealedSecret(s, [privateKey]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems.join('\n')).not.toMatch(/secret-a|secret-b/);
    expect(result.problems[0]).toMatch(/authentication failed/);
  });
});
