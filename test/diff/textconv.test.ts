import { createPublicKey } from 'node:crypto';
// The git diff driver: what `sealops textconv` prints for each sealed shape, and real `git diff`,
// `git log -p` and `git show` through the driver that `sealops hook install` configures (the
// built CLI, dist/cli/sealops.js: `npm run build` first).
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { sealSops, unsealSopsForEdit } from '../../src/formats/sops/index.js';
import { sealSecret } from '../../src/formats/sealedsecret/index.js';
import { textconv, valueMarker, NOT_SEALED } from '../../src/diff/textconv.js';
import { makeRepoKeys, type RepoKeys } from '../support/kustomize-repo.js';
import { gitEnv, makeRepo, type TestRepo } from './git-repo.js';

const cli = fileURLToPath(new URL('../../dist/cli/sealops.js', import.meta.url));
const PLAIN = { user: 'admin-user-77', password: 'first-pw-5521', host: 'db.example.internal' };
const secret = (v: Record<string, string>) => `# database credentials\napiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: shop\nstringData:\n${Object.entries(v).map(([k, x]) => `  ${k}: ${JSON.stringify(x)} # ${k} comment`).join('\n')}\n`;
const ENVELOPE = /ENC\[AES256_GCM,[^\]]*\]/g;

let keys: RepoKeys;
let sealed: string;
const ageKey = () => keys.identity.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;
async function reseal(text: string, change: (p: string) => string, source = 'db.yaml'): Promise<string> {
  const { plaintext, context } = await unsealSopsForEdit(text, { identities: [ageKey()], source });
  return sealSops(change(plaintext), { context, source, now: new Date(Date.now() + 60_000) });
}
/** Every ciphertext and plaintext that must never appear in the driver's output. */
const forbidden = (...texts: string[]) => [...Object.values(PLAIN), 'second-pw-9934', ...texts.flatMap((t) => [...t.matchAll(ENVELOPE)].map((m) => /data:([^,]*)/.exec(m[0])![1]!))];
const expectClean = (out: string, needles: string[]) => {
  for (const n of needles) expect(out).not.toContain(n);
  expect(out).not.toMatch(/ENC\[|-----BEGIN AGE/);
};

beforeAll(async () => {
  keys = makeRepoKeys();
  sealed = await sealSops(secret(PLAIN), { recipients: [keys.recipient], source: 'db.yaml' });
});

describe('textconv', () => {
  it('prints a SOPS Secret with its keys, comments and one marker per value, without MAC or lastmodified', () => {
    const out = textconv(sealed, 'db.yaml');
    const password = /password: "?(ENC\[[^\]]*\])/.exec(sealed)![1]!;
    expect(out).toContain(`  password: ${valueMarker(password)}`);
    expect(out).toMatch(/^# database credentials$/m);
    expect(out).toMatch(/^ {2}user: <sealed:[0-9a-f]{12}> #<sealed:[0-9a-f]{12}>$/m);
    expect(out).not.toMatch(/mac:|lastmodified:/);
    expectClean(out, forbidden(sealed));
  });

  it('keeps the marker of every unchanged value across a re-seal and changes only the re-encrypted one', async () => {
    const edited = await reseal(sealed, (p) => p.replace(PLAIN.password, 'second-pw-9934'));
    const a = textconv(sealed).split('\n');
    const b = textconv(edited).split('\n');
    expect(b.filter((l, i) => l !== a[i])).toEqual([expect.stringMatching(/^ {2}password: <sealed:[0-9a-f]{12}> #<sealed:[0-9a-f]{12}>$/)]);
    expect(textconv(await reseal(sealed, (p) => p))).toBe(textconv(sealed));
  });

  it('prints a SOPS dotenv with markers and without its MAC, lastmodified or wrapped key', async () => {
    const env = await sealSops(`DB_PASSWORD=${PLAIN.password}\nDB_USER=${PLAIN.user}\n`, { recipients: [keys.recipient], format: 'dotenv', source: 'db.env' });
    const out = textconv(env, 'db.env');
    expect(out).toMatch(/^DB_PASSWORD=<sealed:[0-9a-f]{12}>$/m);
    expect(out).toMatch(/^DB_USER=<sealed:[0-9a-f]{12}>$/m);
    expect(out).not.toMatch(/sops_mac|sops_lastmodified/);
    expectClean(out, [...forbidden(env), /sops_age__list_0__map_enc=(.*)/.exec(env)![1]!.slice(0, 40)]);
  });

  it('prints a SOPS JSON file and a SealedSecret with markers', async () => {
    const json = await sealSops(JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'j' }, stringData: { token: PLAIN.password } }, null, 2), { recipients: [keys.recipient], source: 'j.json' });
    const j = JSON.parse(textconv(json, 'j.json')) as { stringData: { token: string }; sops: Record<string, unknown> };
    expect(j.stringData.token).toMatch(/^<sealed:[0-9a-f]{12}>$/);
    expect(Object.keys(j.sops)).not.toContain('mac');
    const ss = stringify(sealSecret({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tls', namespace: 'shop' }, stringData: { 'tls.key': PLAIN.host } }, createPublicKey(keys.rsaPem), {}));
    const enc = /tls\.key: (\S+)/.exec(ss)![1]!;
    const out = textconv(ss, 'tls.yaml');
    expect(out).toContain(`tls.key: ${valueMarker(enc)}`);
    expect(out).not.toContain(enc.slice(0, 40));
  });

  it('never prints a Secret value that is not sealed, and passes files without secrets through byte for byte', () => {
    const plain = `apiVersion: v1\nkind: Secret\nmetadata: {name: x}\ndata:\n  k: ${Buffer.from(PLAIN.password).toString('base64')}\nstringData:\n  s: ${PLAIN.user}\n`;
    const out = textconv(plain, 'x.yaml');
    expect(out).toContain(`k: ${NOT_SEALED}`);
    expect(out).toContain(`s: ${NOT_SEALED}`);
    expectClean(out, [...Object.values(PLAIN), Buffer.from(PLAIN.password).toString('base64')]);
    const cm = 'kind: ConfigMap\n# odd   spacing kept\ndata: {a:   b}\r\n';
    expect(textconv(cm, 'cm.yaml')).toBe(cm);
    expect(textconv('apiVersion: v1\nkind: Secret\nstringData: {a: [\n', 'broken.yaml')).toMatch(/does not parse as YAML or JSON; its content is hidden/);
  });
});

describe('sealops hook install: the git diff driver', () => {
  let repo: TestRepo;
  afterEach(() => repo?.cleanup());
  beforeAll(() => {
    if (!existsSync(cli)) throw new Error(`failed to find ${cli}: run npm run build first`);
  });
  const sealops = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { cwd: repo.dir, env: gitEnv(repo.dir), encoding: 'utf8' });

  it('configures diff.sealops.textconv and .gitattributes, so git diff, git log -p and git show name the changed key and no value', async () => {
    repo = makeRepo();
    repo.write({ '.gitattributes': '*.png binary\n' });
    const install = sealops(['hook', 'install']);
    expect(install.status, install.stderr).toBe(0);
    expect(repo.git('config', 'diff.sealops.textconv').trim()).toBe(`${process.execPath} ${cli} textconv`);
    const attrs = readFileSync(join(repo.dir, '.gitattributes'), 'utf8');
    expect(attrs).toMatch(/^\*\.png binary\n# sealops diff driver begin/);
    expect(repo.git('check-attr', 'diff', 'overlays/prod/db.yaml').trim()).toBe('overlays/prod/db.yaml: diff: sealops');
    repo.write({ 'db.yaml': sealed });
    repo.commit('seal');
    const edited = await reseal(sealed, (p) => p.replace(PLAIN.password, 'second-pw-9934'));
    repo.write({ 'db.yaml': edited });
    const work = repo.git('diff');
    repo.commit('rotate the password');
    const needles = forbidden(sealed, edited);
    for (const out of [work, repo.git('diff', 'HEAD~1', 'HEAD'), repo.git('log', '-p', '-1'), repo.git('show', 'HEAD')]) {
      const changed = out.split('\n').filter((l) => /^[-+] /.test(l));
      expect(changed).toEqual([expect.stringMatching(/^- {2}password: <sealed:[0-9a-f]{12}> #<sealed:/), expect.stringMatching(/^\+ {2}password: <sealed:[0-9a-f]{12}> #<sealed:/)]);
      expectClean(out, needles);
    }
    // A re-seal that changed nothing: the blob differs (MAC, lastmodified), the shown text does not.
    repo.write({ 'db.yaml': await reseal(edited, (p) => p) });
    repo.commit('re-seal');
    expect(repo.git('show', 'HEAD', '--format=').split('\n').filter((l) => /^[-+] /.test(l))).toEqual([]);
    expect(repo.git('show', '--no-textconv', 'HEAD', '--format=')).toMatch(/^[-+] {2}mac: ENC\[/m);
  });

  it('is removed by sealops hook uninstall, keeping the other .gitattributes lines', () => {
    repo = makeRepo();
    repo.write({ '.gitattributes': '*.png binary\n' });
    expect(sealops(['hook', 'install']).status).toBe(0);
    expect(sealops(['hook', 'install']).status).toBe(0);
    expect(readFileSync(join(repo.dir, '.gitattributes'), 'utf8').match(/diff driver begin/g)).toHaveLength(1);
    expect(sealops(['hook', 'uninstall']).status).toBe(0);
    expect(readFileSync(join(repo.dir, '.gitattributes'), 'utf8')).toBe('*.png binary\n');
    expect(spawnSync('git', ['config', 'diff.sealops.textconv'], { cwd: repo.dir, env: gitEnv(repo.dir) }).status).toBe(1);
  });
});
