import { beforeAll, describe, expect, it } from 'vitest';
import { checkScopes, generateAgeKeyPair, openSopsDocuments, readSopsMetadata, rotateSops, ScopeError, sealSops, unsealSops, unsealSopsForEdit, type AgeKeyPair } from '../../../src/index.js';
import { withScopeRule } from '../../../src/formats/sops/scope.js';

let key: AgeKeyPair;
beforeAll(async () => {
  key = await generateAgeKeyPair();
});

const open = (text: string, source = 's.yaml') => unsealSops(text, { identities: [key.identity], source });

describe('binding a Secret to its scope', () => {
  it('binds a JSON Secret and a flow-style YAML Secret in place, and unseals them byte for byte', async () => {
    const json = '{\n  "apiVersion": "v1",\n  "kind": "Secret",\n  "metadata": {"name": "j", "namespace": "ns"},\n  "stringData": {"p": "json-secret-1"}\n}\n';
    const flow = 'apiVersion: v1\nkind: Secret\nmetadata: {name: f, namespace: ns, annotations: {a: b}}\nstringData: {p: "flow-secret-1"}\n';
    for (const [text, source] of [[json, 's.json'], [flow, 's.yaml']] as const) {
      const sealed = await sealSops(text, { recipients: [key.recipient], source });
      expect(sealed).toMatch(/"sealops\.dev\/scope": "ENC\[AES256_GCM,/);
      expect(await open(sealed, source)).toBe(text);
      await expect(open(sealed.replace('"ns"', '"other"').replace('namespace: ns', 'namespace: other'), source)).rejects.toBeInstanceOf(ScopeError);
    }
  });

  it('binds a Secret without a namespace as /name: a namespace placed later is accepted, another name is not', async () => {
    const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  p: placed-secret-1\n';
    const sealed = await sealSops(text, { recipients: [key.recipient] });
    const { scopes } = await openSopsDocuments(sealed, { identities: [key.identity] });
    expect(scopes).toEqual([{ document: 0, namespace: '', name: 'db', bound: { namespace: '', name: 'db' } }]);
    // Where an overlay placed it (the agent checks the object after the build this way).
    const bound = { namespace: '', name: 'db' };
    expect(() => checkScopes([{ document: 0, namespace: 'team-b', name: 'db', bound }], 'built')).not.toThrow();
    expect(() => checkScopes([{ document: 0, namespace: 'team-b', name: 'other', bound }], 'built', 'after the build')).toThrow(/sealed for \*\/db but stands as team-b\/other after the build/);
    await expect(open(sealed.replace('name: db', 'name: other'))).rejects.toThrow(/sealed for \*\/db but stands as \*\/other/);
  });

  it('refuses a bound namespace that was emptied, and binds each document of a file on its own', async () => {
    const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: x\nstringData:\n  p: doc-one-secret\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: b\n  namespace: y\nstringData:\n  p: doc-two-secret\n';
    const sealed = await sealSops(text, { recipients: [key.recipient] });
    await expect(open(sealed.replace('  namespace: x\n', '  namespace: ""\n'))).rejects.toThrow(/document 1 is sealed for x\/a but stands as \*\/a/);
    const { scopes } = await openSopsDocuments(sealed, { identities: [key.identity] });
    expect(scopes.map((s) => s?.bound)).toEqual([{ namespace: 'x', name: 'a' }, { namespace: 'y', name: 'b' }]);
  });

  it('adds the annotation to encrypted_regex, whatever regex the rules bring', () => {
    expect(withScopeRule({ encrypted_regex: '^(data|stringData)$' })).toEqual({ encrypted_regex: '^(data|stringData|sealops\\.dev/scope)$' });
    expect(withScopeRule({ encrypted_regex: '^password$' })).toEqual({ encrypted_regex: '(?:^password$)|^sealops\\.dev/scope$' });
    expect(withScopeRule({ encrypted_regex: 'scope' })).toEqual({ encrypted_regex: 'scope' });
    expect(withScopeRule({ unencrypted_suffix: '_unencrypted' })).toEqual({ unencrypted_suffix: '_unencrypted' });
  });

  it('leaves ConfigMaps and other objects unbound', async () => {
    const sealed = await sealSops('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  k: v\n', { recipients: [key.recipient] });
    expect(sealed).not.toContain('sealops.dev/scope');
    expect(readSopsMetadata(sealed).encrypted_regex).toBeUndefined();
  });
});

describe('re-sealing after an edit', () => {
  it('keeps the binding of a bound file, moves it with an edited namespace, and adds none to a file that had none', async () => {
    const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: a\nstringData:\n  p: edit-secret-1\n';
    const sealed = await sealSops(text, { recipients: [key.recipient] });
    const opened = await unsealSopsForEdit(sealed, { identities: [key.identity] });
    expect(opened.plaintext).toBe(text);
    const resealed = await sealSops(opened.plaintext.replace('namespace: a', 'namespace: b'), { context: opened.context });
    const { scopes } = await openSopsDocuments(resealed, { identities: [key.identity] });
    expect(scopes[0]?.bound).toEqual({ namespace: 'b', name: 'db' });
    const context = { ...opened.context, bound: false };
    expect(await sealSops(text, { context })).not.toContain('sealops.dev/scope');
  });
});

describe('the mode of a binding', () => {
  const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: team-a\nstringData:\n  p: mode-secret-1\n';
  const boundOf = async (sealed: string) => (await openSopsDocuments(sealed, { identities: [key.identity] })).scopes[0]?.bound;

  it('binds namespace/name, namespace/ or / as sealed with strict, namespace-wide or cluster-wide', async () => {
    const got = [];
    for (const scope of ['strict', 'namespace-wide', 'cluster-wide'] as const) got.push(await boundOf(await sealSops(text, { recipients: [key.recipient], scope })));
    expect(got).toEqual([{ namespace: 'team-a', name: 'db' }, { namespace: 'team-a', name: '' }, { namespace: '', name: '' }]);
  });

  it('keeps a namespace-wide binding through an edit and a rotation', async () => {
    const sealed = await sealSops(text, { recipients: [key.recipient], scope: 'namespace-wide' });
    const { plaintext, context } = await unsealSopsForEdit(sealed, { identities: [key.identity] });
    const edited = await sealSops(plaintext.replace('mode-secret-1', 'mode-secret-2'), { context });
    expect(await boundOf(edited)).toEqual({ namespace: 'team-a', name: '' });
    const rotated = await rotateSops(edited, { identities: [key.identity] });
    expect(await boundOf(rotated)).toEqual({ namespace: 'team-a', name: '' });
    expect(await open(rotated)).toBe(text.replace('mode-secret-1', 'mode-secret-2'));
  });
});
