// The decrypt stage with real sealed inputs: SOPS files written by the real `sops` binary for an
// identity from Debian's age-keygen, and SealedSecrets from sealops's writer.
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { buildManifests } from '../../../src/build/index.js';
import { assertNothingSealed, decryptManifests, loadDecryptionKeys, type DecryptionKeys } from '../../../src/agent/decrypt/index.js';
import { sealSecret } from '../../../src/formats/sealedsecret/index.js';
import { DecryptError, ScopeError } from '../../../src/errors.js';
import { sealSops } from '../../../src/formats/sops/index.js';
import { peerPath } from '../../support/peers.js';
import { rsaKeyPair } from '../../support/rsa.js';

let keys: DecryptionKeys;
let recipient: string;
let rsaPem: string;
const password = 'correct-horse-battery-staple';

function sops(doc: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-dec-'));
  try {
    writeFileSync(join(dir, 's.yaml'), stringify(doc));
    return execFileSync(peerPath('sops'), ['--encrypt', '--age', recipient, '--encrypted-regex', '^(data|stringData)$', join(dir, 's.yaml')], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const secret = (ns?: string) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', ...(ns ? { namespace: ns } : {}) }, stringData: { password } });
const with_ = (k: DecryptionKeys) => () => Promise.resolve(k);
// Files written by plain sops carry no scope binding: the stage takes them only when allowed.
const unbound = (k: DecryptionKeys, warn?: (m: string) => void) => ({ keys: with_(k), allowUnbound: true, ...(warn ? { warn } : {}) });
const files = (entries: Record<string, string>) => Object.entries(entries).map(([path, text]) => ({ path, content: Buffer.from(text) }));

beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-age-'));
  execFileSync(peerPath('age-keygen'), ['-o', join(dir, 'k')], { stdio: 'ignore' });
  const identity = readFileSync(join(dir, 'k'), 'utf8');
  recipient = /public key: (age1\S+)/.exec(identity)![1]!;
  rmSync(dir, { recursive: true, force: true });
  rsaPem = rsaKeyPair(2048).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  keys = loadDecryptionKeys({ 'cluster.agekey': identity, 'cluster.pem': rsaPem, 'README.txt': 'ignored' });
});

describe('decryptManifests', () => {
  it('opens a SOPS Secret and a SealedSecret into plain Secrets with base64 data, and lists the values to redact', async () => {
    const sealed = sealSecret({ ...secret('apps'), metadata: { name: 'tok', namespace: 'apps' }, stringData: { token: 'tok-value-123' } }, createPublicKey(rsaPem));
    const built = buildManifests(files({ 'db.yaml': sops(secret('apps')), 'tok.yaml': stringify(sealed) }));
    const out = await decryptManifests(built, unbound(keys));
    expect(out.unsealed).toBe(2);
    const [db, tok] = out.manifests.map((m) => m.object as unknown as { kind: string; data: Record<string, string>; stringData?: unknown; sops?: unknown; metadata: { name: string; namespace: string } });
    expect(db).toMatchObject({ kind: 'Secret', metadata: { name: 'db', namespace: 'apps' }, data: { password: Buffer.from(password).toString('base64') } });
    expect(db!.stringData).toBeUndefined();
    expect(db!.sops).toBeUndefined();
    expect(tok).toMatchObject({ kind: 'Secret', metadata: { name: 'tok', namespace: 'apps' }, data: { token: Buffer.from('tok-value-123').toString('base64') } });
    expect(out.secrets).toEqual(expect.arrayContaining([password, 'tok-value-123']));
  });

  it('matches each decrypted document to its manifest when the file has empty documents before it', async () => {
    const a = sops(secret('apps'));
    const text = `---\n---\n${a}`;
    const out = await decryptManifests(buildManifests(files({ 'db.yaml': text })), unbound(keys));
    expect(out.manifests).toHaveLength(1);
    expect((out.manifests[0]!.object as unknown as { data: Record<string, string> }).data.password).toBe(Buffer.from(password).toString('base64'));
  });

  it('refuses a SOPS Secret without a namespace', async () => {
    const built = buildManifests(files({ 'db.yaml': sops(secret()) }));
    await expect(decryptManifests(built, unbound(keys))).rejects.toThrow(/db\.yaml.*must land in a namespace/);
  });

  it('fails naming the file when a SOPS value was tampered with, without printing any value', async () => {
    const good = sops(secret('apps'));
    const bad = good.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => `${p}${c === 'A' ? 'B' : 'A'}`);
    const err = await decryptManifests(buildManifests(files({ 'x/db.yaml': bad })), { keys: with_(keys) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecryptError);
    expect((err as Error).message).toContain('x/db.yaml');
    expect((err as Error).message).not.toContain(password);
  });

  it('fails when the keys hold no identity for a sealed file', async () => {
    const built = buildManifests(files({ 'db.yaml': sops(secret('apps')) }));
    await expect(decryptManifests(built, { keys: with_({ ageIdentities: [], rsaKeys: [] }) })).rejects.toThrow(/no age identity/);
  });

  it('refuses a SealedSecret moved to another namespace', async () => {
    const sealed = sealSecret({ ...secret('apps') }, createPublicKey(rsaPem));
    const moved = { ...sealed, metadata: { ...sealed.metadata, namespace: 'other' } };
    await expect(decryptManifests(buildManifests(files({ 's.yaml': stringify(moved) })), { keys: with_(keys) })).rejects.toThrow(/s\.yaml/);
  });

  it('reuses an earlier result for unchanged input when given a memo', async () => {
    const built = buildManifests(files({ 'db.yaml': sops(secret('apps')) }));
    const memo = { previous: new Map<string, unknown>() };
    await decryptManifests(built, { ...unbound(keys), memo: () => memo });
    expect(memo.previous.size).toBe(1);
    // With no key at all, only the memo can produce the result.
    const again = await decryptManifests(built, { ...unbound({ ageIdentities: ['AGE-SECRET-KEY-1QQQ'], rsaKeys: [] }), memo: () => memo });
    expect(again.unsealed).toBe(1);
  });
});

describe('assertNothingSealed', () => {
  it('stops a SealedSecret, SOPS metadata or an ENC value from reaching the API server', () => {
    const m = (object: Record<string, unknown>) => [{ object: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' }, ...object } as never, file: 'f.yaml', doc: 0 }];
    expect(() => assertNothingSealed(m({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret' }))).toThrow(/still sealed/);
    expect(() => assertNothingSealed(m({ sops: {} }))).toThrow(/still sealed/);
    expect(() => assertNothingSealed(m({ data: { a: 'ENC[AES256_GCM,data:xx,iv:yy,tag:zz,type:str]' } }))).toThrow(/still sealed/);
    expect(() => assertNothingSealed(m({ data: { a: 'plain' } }))).not.toThrow();
  });
});

describe('the scope binding in the decrypt stage', () => {
  const bound = async (doc: Record<string, unknown>): Promise<string> => sealSops(stringify(doc), { recipients: [recipient], source: 'db.yaml' });

  it('refuses a Secret sealed by plain sops unless the Sync allows unbound files, then warns', async () => {
    const built = buildManifests(files({ 'db.yaml': sops(secret('apps')) }));
    const err = await decryptManifests(built, { keys: with_(keys) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScopeError);
    expect((err as Error).message).toMatch(/db\.yaml .*carries no sealops\.dev\/scope binding/);
    expect((err as Error).message).not.toContain(password);
    const warnings: string[] = [];
    const allowed = await decryptManifests(built, unbound(keys, (m) => warnings.push(m)));
    expect(allowed.unsealed).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/accepted unbound Secret db\.yaml .*allowUnbound/)]);
    expect(warnings.join('\n')).not.toContain(password);
  });

  it('opens a Secret sealed by sealops with no warning and without its binding, and refuses it once its file places it elsewhere', async () => {
    const text = await bound(secret('apps'));
    const warnings: string[] = [];
    const out = await decryptManifests(buildManifests(files({ 'db.yaml': text })), { keys: with_(keys), warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
    expect(out.manifests[0]?.object.metadata).toEqual({ name: 'db', namespace: 'apps' });
    // The binding is a name, not a secret: messages naming the Secret stay readable.
    expect(out.secrets).not.toContain('apps/db');
    const moved = text.replace('namespace: apps', 'namespace: kube-system');
    const err = await decryptManifests(buildManifests(files({ 'db.yaml': moved })), { keys: with_(keys) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScopeError);
    expect((err as Error).message).toMatch(/sealed for apps\/db but stands as kube-system\/db/);
    expect((err as Error).message).not.toContain(password);
  });
});
