import { createPublicKey } from 'node:crypto';
// Per-object and per-key verdicts from ciphertext alone, on files sealed by sealops's own SOPS
// and SealedSecret code (the same bytes `sealops seal` and `sealops edit` write).
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildManifests } from '../../src/build/index.js';
import { indexSealedSources } from '../../src/agent/decrypt/sources.js';
import { sealSops, unsealSopsForEdit } from '../../src/formats/sops/index.js';
import { sealSecret } from '../../src/formats/sealedsecret/index.js';
import { compareBuilds } from '../../src/diff/compare.js';
import { makeRepoKeys, type RepoKeys } from '../support/kustomize-repo.js';

const PLAIN = { username: 'svc-orders', password: 'hunter2-old-7781', host: 'db.internal:5432' };

function side(files: Record<string, string>) {
  const inputs = Object.entries(files).map(([path, text]) => ({ path, content: Buffer.from(text) }));
  return { manifests: buildManifests(inputs).manifests, index: indexSealedSources(inputs) };
}

const secretYaml = (values: Record<string, string>) => stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'shop' }, stringData: values });

let keys: RepoKeys;
let sealed: string;
beforeAll(async () => {
  keys = makeRepoKeys();
  sealed = await sealSops(secretYaml(PLAIN), { recipients: [keys.recipient], source: 'db.yaml' });
});

const ageKey = () => keys.identity.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;

/** Re-seals `text` the way `sealops edit` does: same data key, unchanged envelopes kept. */
async function reseal(text: string, change: (plain: string) => string): Promise<string> {
  const { plaintext, context } = await unsealSopsForEdit(text, { identities: [ageKey()], source: 'db.yaml' });
  return sealSops(change(plaintext), { context, source: 'db.yaml', now: new Date(Date.now() + 60_000) });
}

function statuses(changes: ReturnType<typeof compareBuilds>): Record<string, string> {
  return Object.fromEntries(changes.flatMap((c) => c.secret?.keys.map((k) => [k.key, k.status]) ?? []));
}

describe('compareBuilds', () => {
  it('reports exactly the re-encrypted SOPS key as changed and the others unchanged', async () => {
    const edited = await reseal(sealed, (p) => p.replace(PLAIN.password, 'hunter2-new-9902'));
    const changes = compareBuilds(side({ 'db.yaml': sealed }), side({ 'db.yaml': edited }));
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ action: 'changed', object: { kind: 'Secret', namespace: 'shop', name: 'db' }, diff: '' });
    expect(statuses(changes)).toEqual({ username: 'unchanged', password: 'changed', host: 'unchanged' });
    expect(changes[0]!.secret!.formats).toEqual(['sops']);
  });

  it('shows nothing for a re-seal that changed no value (only the MAC and lastmodified moved)', async () => {
    const again = await reseal(sealed, (p) => p);
    expect(again).not.toBe(sealed);
    expect(compareBuilds(side({ 'db.yaml': sealed }), side({ 'db.yaml': again }))).toEqual([]);
  });

  it('lists a value sops left empty (unencrypted) under the SOPS verdicts, not as an unsealed value', async () => {
    const withEmpty = await sealSops(secretYaml({ ...PLAIN, note: '' }), { recipients: [keys.recipient], source: 'db.yaml' });
    const edited = await reseal(withEmpty, (p) => p.replace(PLAIN.host, 'db2.internal:5432'));
    const [c] = compareBuilds(side({ 'db.yaml': withEmpty }), side({ 'db.yaml': edited }));
    expect(c!.secret!.formats).toEqual(['sops']);
    expect(statuses([c!])).toMatchObject({ note: 'unchanged', host: 'changed' });
  });

  it('calls every key changed when the file was sealed afresh instead of re-sealed, since each envelope is new', async () => {
    const fresh = await sealSops(secretYaml(PLAIN), { recipients: [keys.recipient], source: 'db.yaml' });
    const s = statuses(compareBuilds(side({ 'db.yaml': sealed }), side({ 'db.yaml': fresh })));
    expect([s.username, s.password, s.host]).toEqual(['changed', 'changed', 'changed']);
  });

  it('reports added and removed keys, and a visible field change as a unified diff with markers only', async () => {
    const edited = await reseal(sealed, (p) => p.replace(/^ {2}host:.*\n/m, '  port: "5432"\n').replace('name: db', 'name: db\n  labels:\n    tier: data'));
    const [c] = compareBuilds(side({ 'db.yaml': sealed }), side({ 'db.yaml': edited }));
    expect(statuses([c!])).toMatchObject({ host: 'removed', port: 'added', password: 'unchanged' });
    expect(c!.diff).toMatch(/^\+ {4}tier: data$/m);
    expect(c!.diff).not.toMatch(/ENC\[|hunter2|svc-orders|5432/);
  });

  it('calls a re-sealed SealedSecret key changed (every seal encrypts afresh) and names the format', () => {
    const pub = makeRepoKeys().rsaPem;
    const make = () => stringify(sealSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: 'shop' }, stringData: { key: 'same-value-1234' } }, createPublicKey(pub), {}));
    const [c] = compareBuilds(side({ 's.yaml': make() }), side({ 's.yaml': make() }));
    expect(c!.secret).toEqual({ formats: ['sealedsecret'], keys: [{ key: 'key', status: 'changed' }] });
    expect(c!.diff).toBe('');
  });

  it('compares a Secret that is not sealed by digest and never shows its value', () => {
    const plain = (v: string) => stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'p' }, data: { token: Buffer.from(v).toString('base64'), same: 'c2FtZQ==' } });
    const [c] = compareBuilds(side({ 'p.yaml': plain('old-token-value') }), side({ 'p.yaml': plain('new-token-value') }));
    expect(c!.secret).toEqual({ formats: ['unsealed'], keys: [{ key: 'same', status: 'unchanged' }, { key: 'token', status: 'changed' }] });
    expect(JSON.stringify(c)).not.toMatch(/old-token|new-token|b2xkLXRva2Vu|bmV3LXRva2Vu|c2FtZQ/);
  });

  it('lists added and removed objects with every key added or removed, and pairs a generated name whose hash suffix changed', () => {
    const cm = (name: string, v: string) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { level: v } });
    const changes = compareBuilds(side({ 'a.yaml': sealed, 'cm.yaml': cm('settings-abc12de34f', 'info') }), side({ 'cm.yaml': cm('settings-9kk8m7t6h5', 'debug'), 'n.yaml': cm('new', 'x') }));
    expect(changes.map((c) => [c.action, c.object.name, c.previousName])).toEqual([
      ['added', 'new', undefined],
      ['changed', 'settings-9kk8m7t6h5', 'settings-abc12de34f'],
      ['removed', 'db', undefined],
    ]);
    expect(changes[1]!.diff).toMatch(/^-\s+level: info$/m);
    expect(changes[1]!.diff).toMatch(/^\+\s+level: debug$/m);
    expect(new Set(changes[2]!.secret!.keys.map((k) => k.status))).toEqual(new Set(['removed']));
  });
});
