// Build and decrypt together on a repository laid out like a platform team's, with the real
// kustomize binary and real sealed inputs: what comes out equals `kustomize build`, with the
// sealed values opened in memory, the hash suffixes and references as kustomize made them.
import { beforeAll, describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import { stringify } from 'yaml';
import { renderSync } from '../../src/agent/render.js';
import { loadDecryptionKeys, SEALED_MARKER, type DecryptionKeys } from '../../src/agent/decrypt/index.js';
import { sealSops } from '../../src/formats/sops/index.js';
import { sealSecret } from '../../src/formats/sealedsecret/index.js';
import { ScopeError } from '../../src/errors.js';
import { asInputs, kustomizeBuild, makeRepoKeys, PLAIN, sopsEncrypt, teamRepository, type RepoKeys } from '../support/kustomize-repo.js';

let repoKeys: RepoKeys;
let keys: DecryptionKeys;
let repo: Map<string, string>;
const withKeys = () => ({ keys: () => Promise.resolve(keys) });

type Obj = { kind: string; metadata: { name: string; namespace?: string }; data?: Record<string, string>; spec?: unknown; sops?: unknown };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const byKind = (objs: readonly Obj[], kind: string) => objs.filter((o) => o.kind === kind);

beforeAll(async () => {
  repoKeys = makeRepoKeys();
  keys = loadDecryptionKeys({ 'cluster.agekey': repoKeys.identity, 'cluster.pem': repoKeys.rsaPem });
  repo = await teamRepository(repoKeys);
});

describe('renderSync on kustomize overlays with sealed inputs', () => {
  it('equals kustomize build of the overlay outside Secrets, and opens every sealed Secret where kustomize put it', async () => {
    const out = await renderSync({ files: asInputs(repo), path: 'overlays/staging' }, withKeys());
    const expected = kustomizeBuild(repo, 'overlays/staging') as Obj[];
    const got = out.manifests.map((m) => m.object as unknown as Obj);
    expect(got.filter((o) => o.kind !== 'Secret' && o.kind !== 'SealedSecret')).toEqual(expected.filter((o) => o.kind !== 'Secret' && o.kind !== 'SealedSecret'));
    // Same object identities, in the same order, as kustomize (the SealedSecret becomes its Secret).
    expect(got.map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(expected.map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    const dbName = expected.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('staging-db-'))!.metadata.name;
    expect(dbName).toMatch(/^staging-db-[a-z0-9]{10}$/);
    const db = got.find((o) => o.metadata.name === dbName)!;
    expect(db.data).toEqual({ DB_PASSWORD: b64(PLAIN.dbPassword), DB_USER: b64(PLAIN.dbUser) });
    expect(got.find((o) => o.metadata.name === 'staging-api')).toMatchObject({ kind: 'Secret', metadata: { namespace: 'shop-staging' }, data: { token: b64(PLAIN.apiToken) } });
    expect(got.find((o) => o.metadata.name === 'staging-tls')).toMatchObject({ kind: 'Secret', metadata: { namespace: 'shop-staging' }, data: { 'tls.key': b64(PLAIN.tlsKey) } });
    const deployment = JSON.stringify(byKind(got, 'Deployment')[0]);
    expect(deployment).toContain(`"name":"${dbName}"`);
    expect(deployment).toContain('"name":"staging-api"');
    expect(out.kustomization).toBe('overlays/staging/kustomization.yaml');
    expect(out.secrets).toEqual(expect.arrayContaining(Object.values(PLAIN)));
    expect(JSON.stringify(got)).not.toMatch(/ENC\[|sops_/);
  });

  it('gives each overlay its own namespace, prefix and values from one base', async () => {
    const out = await renderSync({ files: asInputs(repo), path: 'overlays/production' }, withKeys());
    const got = out.manifests.map((m) => m.object as unknown as Obj & { spec: { replicas?: number } });
    expect(new Set(got.map((o) => o.metadata.namespace))).toEqual(new Set(['shop-production']));
    expect(byKind(got, 'Deployment')[0]).toMatchObject({ metadata: { name: 'production-web' }, spec: { replicas: 3 } });
  });

  it('gives a new hash-suffixed Secret name when one sealed dotenv value changes, and the Deployment follows it', async () => {
    const changed = await teamRepository(repoKeys, { staging: 'shop-staging' }, 'rotated-password-x1');
    const before = await renderSync({ files: asInputs(repo), path: 'overlays/staging' }, withKeys());
    const after = await renderSync({ files: asInputs(changed), path: 'overlays/staging' }, withKeys());
    const dbOf = (r: typeof before) => r.manifests.map((m) => m.object as unknown as Obj).find((o) => o.metadata.name.startsWith('staging-db-'))!;
    expect(dbOf(after).metadata.name).not.toBe(dbOf(before).metadata.name);
    expect(dbOf(after).data!.DB_PASSWORD).toBe(b64('rotated-password-x1'));
    expect(JSON.stringify(after.manifests.find((m) => m.object.kind === 'Deployment')!.object)).toContain(dbOf(after).metadata.name);
  });

  it('redacts every sealed value with the fixed marker when no key is given, keeping the keys', async () => {
    const out = await renderSync({ files: asInputs(repo), path: 'overlays/staging' }, { keys: 'redact' });
    const secrets = byKind(out.manifests.map((m) => m.object as unknown as Obj), 'Secret');
    expect(secrets).toHaveLength(3);
    const values = (s: Obj & { stringData?: Record<string, string> }) => ({ ...s.data, ...s.stringData });
    for (const s of secrets) for (const v of Object.values(values(s))) expect(v).toBe(SEALED_MARKER);
    expect(secrets.map((s) => Object.keys(values(s)).sort())).toEqual(expect.arrayContaining([['DB_PASSWORD', 'DB_USER'], ['token'], ['tls.key']]));
    expect(JSON.stringify(out.manifests)).not.toContain(PLAIN.dbPassword);
  });

  it('opens a generator file that is a whole sealed JSON document', async () => {
    const files = new Map(repo);
    const sealed = await sealSops(JSON.stringify({ password: 'json-file-secret-3c' }), { recipients: [repoKeys.recipient], format: 'json', source: 'app/creds.json', rules: {} });
    files.set('app/creds.json', sealed);
    files.set('app/kustomization.yaml', stringify({ namespace: 'apps', secretGenerator: [{ name: 'creds', files: ['creds.json'] }] }));
    const out = await renderSync({ files: asInputs(files), path: 'app' }, withKeys());
    const secret = out.manifests[0]!.object as unknown as Obj;
    expect(secret.metadata.name).toBe((kustomizeBuild(files, 'app')[0] as Obj).metadata.name);
    expect(JSON.parse(Buffer.from(secret.data!['creds.json']!, 'base64').toString('utf8'))).toEqual({ password: 'json-file-secret-3c' });
  });


  it('refuses a configMapGenerator over a sealed dotenv or a whole sealed file: no Secret material in a ConfigMap', async () => {
    for (const gen of [{ envs: ['base/db.env'] }, { files: ['base/api-secret.yaml'] }]) {
      const files = new Map(repo);
      files.set('kustomization.yaml', stringify({ namespace: 'apps', configMapGenerator: [{ name: 'leak', ...gen }] }));
      await expect(renderSync({ files: asInputs(files), path: '' }, withKeys())).rejects.toThrow(/ConfigMap apps\/leak-[a-z0-9]+\): the object is still sealed/);
    }
  });
});

describe('scope under transformers', () => {
  // namespace-wide (bound `ns/`): an overlay may rename it, never move it.
  const sealedFor = async (ns: string) =>
    sealSops(stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, stringData: { password: 'team-a-db-pw-1' } }), { recipients: [repoKeys.recipient], scope: 'namespace-wide' });

  it('lets an overlay keep a Secret sealed for team-a in team-a, renamed by a prefix', async () => {
    const files = new Map([['base/db.yaml', await sealedFor('team-a')], ['base/kustomization.yaml', stringify({ resources: ['db.yaml'] })], ['ok/kustomization.yaml', stringify({ namespace: 'team-a', namePrefix: 'x-', resources: ['../base'] })]]);
    const out = await renderSync({ files: asInputs(files), path: 'ok' }, withKeys());
    expect(out.manifests[0]!.object).toMatchObject({ metadata: { name: 'x-db', namespace: 'team-a' } });
  });

  it('refuses an overlay that moves a Secret sealed for team-a into team-b, naming the file and the scope', async () => {
    const files = new Map([['base/db.yaml', await sealedFor('team-a')], ['base/kustomization.yaml', stringify({ resources: ['db.yaml'] })], ['steal/kustomization.yaml', stringify({ namespace: 'team-b', resources: ['../base'] })]]);
    const err = await renderSync({ files: asInputs(files), path: 'steal' }, withKeys()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScopeError);
    expect((err as Error).message).toMatch(/base\/db\.yaml was sealed for namespace team-a and may not be moved to team-b \(scope\)/);
    expect((err as Error).message).not.toContain('team-a-db-pw-1');
  });

  it('binds the name too when the encrypted sealops.dev/scope annotation names one, and only the namespace when it does not', async () => {
    const withScope = (ns: string, scope: 'strict' | 'namespace-wide') =>
      sealSops(stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: ns }, stringData: { password: 'scoped-pw-77' } }), { recipients: [repoKeys.recipient], scope });
    const files = async (ns: string, scope: 'strict' | 'namespace-wide') =>
      new Map([['db.yaml', await withScope(ns, scope)], ['kustomization.yaml', stringify({ namespace: 'team-a', namePrefix: 'x-', resources: ['db.yaml'] })]]);
    await expect(renderSync({ files: asInputs(await files('team-a', 'strict')), path: '' }, withKeys())).rejects.toThrow(/db\.yaml was sealed for name db and may not be renamed to x-db \(scope\)/);
    await expect(renderSync({ files: asInputs(await files('team-b', 'namespace-wide')), path: '' }, withKeys())).rejects.toThrow(/sealed for namespace team-b and may not be moved to team-a/);
    const ok = await renderSync({ files: asInputs(await files('team-a', 'namespace-wide')), path: '' }, withKeys());
    expect(ok.manifests[0]!.object).toMatchObject({ metadata: { name: 'x-db', namespace: 'team-a' } });
    // The binding served its purpose: the applied Secret does not carry it, and it is no secret to redact.
    // Only the ciphertext digests remain (for keyless diff --live).
    expect(Object.keys(ok.manifests[0]!.object.metadata.annotations as object)).toEqual(['sealops.dev/sealed-digests']);
    expect(ok.secrets).not.toContain('team-a/');
  });

  it('refuses a Secret sealed by plain sops unless allowUnbound is set, and then warns', async () => {
    const plain = sopsEncrypt(stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'team-a' }, stringData: { password: 'unbound-pw-31' } }), repoKeys.recipient);
    const files = asInputs(new Map([['db.yaml', plain], ['kustomization.yaml', stringify({ resources: ['db.yaml'] })]]));
    const err = await renderSync({ files, path: '' }, withKeys()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScopeError);
    expect((err as Error).message).toMatch(/db\.yaml carries no sealops\.dev\/scope binding/);
    const warnings: string[] = [];
    const ok = await renderSync({ files, path: '' }, { ...withKeys(), allowUnbound: true, warn: (m) => warnings.push(m) });
    expect(ok.unsealed).toBe(1);
    expect(warnings).toEqual([expect.stringMatching(/accepted unbound Secret .*db\.yaml.*allowUnbound/)]);
    expect(`${(err as Error).message}\n${warnings.join('\n')}`).not.toContain('unbound-pw-31');
  });

  it('refuses a strict SealedSecret renamed by a prefix, and accepts a namespace-wide one', async () => {
    const pub = createPublicKey(repoKeys.rsaPem);
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tok', namespace: 'team-a' }, stringData: { t: 'sealed-secret-val-9' } };
    const make = (scope: 'strict' | 'namespace-wide') =>
      new Map([['s.yaml', stringify(sealSecret(secret, pub, { scope }))], ['kustomization.yaml', stringify({ namePrefix: 'p-', resources: ['s.yaml'] })]]);
    await expect(renderSync({ files: asInputs(make('strict')), path: '' }, withKeys())).rejects.toThrow(/kustomization\.yaml \(SealedSecret team-a\/p-tok\).*lands only where its scope allows/);
    const ok = await renderSync({ files: asInputs(make('namespace-wide')), path: '' }, withKeys());
    expect(ok.manifests[0]!.object).toMatchObject({ kind: 'Secret', metadata: { name: 'p-tok', namespace: 'team-a' }, data: { t: b64('sealed-secret-val-9') } });
  });

  it('refuses a patch that replaces a sealed value', async () => {
    const files = new Map([
      ['db.yaml', await sealedFor('team-a')],
      ['kustomization.yaml', stringify({ resources: ['db.yaml'], patches: [{ patch: stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'team-a' }, stringData: { password: 'attacker' } }) }] })],
    ]);
    await expect(renderSync({ files: asInputs(files), path: '' }, withKeys())).rejects.toThrow(/a transformer changed or removed the sealed value stringData\.password of db\.yaml/);
  });
});
