// The proof: a repository laid out the way teams lay them out (base, component, two overlays;
// a SOPS dotenv behind a secretGenerator, SOPS-sealed Secrets, a SealedSecret), pushed to a
// file:// remote and reviewed as a pull request with `sealops diff`, through the real kustomize.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { sealSops, unsealSopsForEdit } from '../../src/formats/sops/index.js';
import { makeRepoKeys, PLAIN as TEAM_PLAIN, teamRepository, type RepoKeys } from '../support/kustomize-repo.js';
import { run } from '../cli/helpers.js';
import { gitEnv, makeRepo, type TestRepo } from './git-repo.js';

const CREDS = { username: 'orders-svc-31', password: 'before-pw-6610', host: 'pg.shop.internal' };
const NEW_PASSWORD = 'after-pw-2084';

let keys: RepoKeys;
let repo: TestRepo;
let origin: string;
let sealedFiles: string[] = [];
const ageKey = () => keys.identity.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;

async function reseal(text: string, change: (p: string) => string): Promise<string> {
  const { plaintext, context } = await unsealSopsForEdit(text, { identities: [ageKey()], source: 'credentials.yaml' });
  return sealSops(change(plaintext), { context, source: 'credentials.yaml', now: new Date(Date.now() + 60_000) });
}

const appConfig = (level: string) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-config' }, data: { 'log-level': level, 'feature-x': 'on', region: 'eu-west' } });

/** Every ciphertext of the repository and every plaintext sealed into it. */
function forbidden(): string[] {
  const out = new Set<string>([...Object.values(CREDS), NEW_PASSWORD, ...Object.values(TEAM_PLAIN)]);
  for (const text of sealedFiles) {
    for (const m of text.matchAll(/ENC\[AES256_GCM,data:([^,]*)/g)) if (m[1]!.length >= 4) out.add(m[1]!);
    for (const m of text.matchAll(/^\s+[\w.-]+: ([A-Za-z0-9+/=]{200,})$/gm)) out.add(m[1]!.slice(0, 60));
  }
  return [...out];
}

function expectNoSecret(out: string): void {
  // The list holds every plaintext, at least one envelope per sealed value, and the SealedSecrets' values.
  expect(forbidden().length).toBeGreaterThan(12);
  expect(forbidden().some((n) => /^[A-Za-z0-9+/=]{60}$/.test(n))).toBe(true);
  for (const n of forbidden()) expect(out, 'a secret or ciphertext leaked').not.toContain(n);
  expect(out).not.toMatch(/ENC\[|-----BEGIN/);
}

const diff = (args: string[]) => run(['diff', ...args], { cwd: repo.dir, env: gitEnv(repo.dir) });

beforeAll(async () => {
  keys = makeRepoKeys();
  origin = mkdtempSync(join(tmpdir(), 'sealops-origin-'));
  execFileSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  repo = makeRepo();
  const files = await teamRepository(keys);
  const creds = await sealSops(stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db-credentials' }, stringData: CREDS }), { recipients: [keys.recipient], source: 'base/credentials.yaml' });
  files.set('base/credentials.yaml', creds);
  files.set('base/app-config.yaml', appConfig('info'));
  const kz = files.get('base/kustomization.yaml')!.replace('  - api-secret.yaml\n', '  - api-secret.yaml\n  - credentials.yaml\n  - app-config.yaml\n');
  expect(kz).toContain('credentials.yaml');
  files.set('base/kustomization.yaml', kz);
  repo.write(files);
  repo.commit('team repository');
  repo.git('remote', 'add', 'origin', `file://${origin}`);
  repo.git('push', '-q', 'origin', 'main');
  // The pull request: one sealed value and one ConfigMap value, nothing else.
  repo.git('checkout', '-q', '-b', 'rotate-password');
  const edited = await reseal(creds, (p) => p.replace(CREDS.password, NEW_PASSWORD));
  repo.write({ 'base/credentials.yaml': edited, 'base/app-config.yaml': appConfig('debug') });
  repo.commit('rotate the database password, debug logging');
  // A re-seal of the same values: new MAC and lastmodified, same envelopes.
  repo.git('checkout', '-q', '-b', 'reseal', 'main');
  const again = await reseal(creds, (p) => p);
  expect(again).not.toBe(creds);
  repo.write({ 'base/credentials.yaml': again });
  repo.commit('re-seal');
  repo.git('checkout', '-q', 'rotate-password');
  sealedFiles = [creds, edited, again, ...[...files].filter(([p]) => /sealed|secret|\.env$/.test(p)).map(([, t]) => t)];
});

afterAll(() => {
  repo?.cleanup();
  if (origin) rmSync(origin, { recursive: true, force: true });
});

describe('sealops diff on a pull request', () => {
  it('lists exactly the changed ConfigMap and Secret, with that key changed, every other key unchanged, and no value', async () => {
    const r = await diff(['--from', 'origin/main', '--to', 'rotate-password', 'overlays/production', '-o', 'json']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as {
      from: { ref: string; commit: string };
      to: { ref: string };
      path: string;
      summary: Record<string, number>;
      objects: { action: string; object: Record<string, string>; diff: string; secret?: { formats: string[]; keys: { key: string; status: string }[] } }[];
    };
    expect(out.from.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(out.path).toBe('overlays/production');
    expect(out.summary).toEqual({ added: 0, removed: 0, changed: 2 });
    expect(out.objects.map((o) => [o.action, o.object.kind, o.object.namespace, o.object.name])).toEqual([
      ['changed', 'ConfigMap', 'shop-production', 'production-app-config'],
      ['changed', 'Secret', 'shop-production', 'production-db-credentials'],
    ]);
    const [cm, secret] = out.objects;
    expect(cm!.secret).toBeUndefined();
    expect(cm!.diff.split('\n').filter((l) => /^[-+] /.test(l))).toEqual(['-  log-level: info', '+  log-level: debug']);
    expect(secret!.secret).toEqual({ formats: ['sops'], keys: [{ key: 'host', status: 'unchanged' }, { key: 'password', status: 'changed' }, { key: 'username', status: 'unchanged' }] });
    expect(secret!.diff).toBe('');
    expectNoSecret(r.stdout);
  });

  it('prints the same as a Markdown pull-request comment: a summary table, a key table and a diff block', async () => {
    const r = await diff(['--from', 'origin/main', '--to', 'rotate-password', 'overlays/production', '-o', 'markdown']);
    expect(r.status).toBe(1);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^### sealops diff `origin\/main \([0-9a-f]{12}\)` → `rotate-password \([0-9a-f]{12}\)`$/);
    const rows = (header: string) => {
      const at = lines.indexOf(header);
      expect(at, header).toBeGreaterThan(0);
      expect(lines[at + 1]).toMatch(/^\| --- \|/);
      const out: string[][] = [];
      for (let i = at + 2; lines[i]?.startsWith('|'); i++) out.push(lines[i]!.split('|').slice(1, -1).map((c) => c.trim()));
      return out;
    };
    expect(rows('| Object | Change | Secret keys |')).toEqual([
      ['`ConfigMap shop-production/production-app-config`', 'changed', ''],
      ['`Secret shop-production/production-db-credentials`', 'changed', '1 changed, 2 unchanged'],
    ]);
    expect(rows('| Key | Status |')).toEqual([['`host`', 'unchanged'], ['`password`', 'changed'], ['`username`', 'unchanged']]);
    const fenceAt = lines.indexOf('```diff');
    const fenceEnd = lines.indexOf('```', fenceAt + 1);
    expect(lines.slice(fenceAt + 1, fenceEnd).filter((l) => /^[-+] /.test(l))).toEqual(['-  log-level: info', '+  log-level: debug']);
    expect(r.stdout).toMatch(/SOPS: compared by ciphertext/);
    expectNoSecret(r.stdout);
  });

  it('prints text for a terminal with the same verdicts, and compares every overlay the same way', async () => {
    for (const overlay of ['overlays/production', 'overlays/staging']) {
      const r = await diff(['--from', 'origin/main', '--to', 'rotate-password', overlay]);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/^ {2}key password {2}changed$/m);
      expect(r.stdout).toMatch(/^ {2}key username {2}unchanged$/m);
      expect(r.stdout).toMatch(/2 changed, 0 added, 0 removed\n$/);
      expectNoSecret(r.stdout);
    }
  });

  it('against the working tree by default: the checked-out pull request shows the same change', async () => {
    const r = await diff(['--from', 'origin/main', 'overlays/production', '-o', 'json']);
    expect(r.status).toBe(1);
    expect((JSON.parse(r.stdout) as { to: { ref: string }; summary: unknown }).summary).toEqual({ added: 0, removed: 0, changed: 2 });
  });

  it('gives an empty diff and exit 0 for a re-seal that changed nothing, in every format', async () => {
    for (const format of ['text', 'markdown', 'json']) {
      const r = await diff(['--from', 'origin/main', '--to', 'reseal', 'overlays/production', '-o', format]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/no changes|"objects": \[\]/);
      expectNoSecret(r.stdout);
    }
  });

  it('sees a SealedSecret re-sealed by an overlay as re-sealed, not as a value it cannot know', async () => {
    repo.git('checkout', '-q', '-b', 'reseal-tls', 'main');
    const files = await teamRepository(keys);
    repo.write({ 'overlays/production/tls-sealed.yaml': files.get('overlays/production/tls-sealed.yaml')! });
    sealedFiles.push(files.get('overlays/production/tls-sealed.yaml')!);
    repo.commit('re-seal tls with kubeseal semantics');
    repo.git('checkout', '-q', 'rotate-password');
    const r = await diff(['--from', 'main', '--to', 'reseal-tls', 'overlays/production']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^changed SealedSecret shop-production\/production-tls$/m);
    expect(r.stdout).toMatch(/"changed" means re-sealed \(the value may be the same\)/);
    expect(r.stdout).toMatch(/^ {2}key tls\.key {2}changed$/m);
    expectNoSecret(r.stdout);
  });

  it('follows a secretGenerator over a sealed dotenv: the changed key, the new hash suffix and the references to it', async () => {
    repo.git('checkout', '-q', '-b', 'rotate-dotenv', 'main');
    const env = repo.git('show', 'main:base/db.env');
    const { plaintext, context } = await unsealSopsForEdit(env, { identities: [ageKey()], source: 'db.env', format: 'dotenv' });
    const edited = await sealSops(plaintext.replace(TEAM_PLAIN.dbPassword, 'dotenv-new-pw-4412'), { context, source: 'db.env', format: 'dotenv' });
    repo.write({ 'base/db.env': edited });
    sealedFiles.push(env, edited);
    repo.commit('rotate the dotenv password');
    repo.git('checkout', '-q', 'rotate-password');
    const r = await diff(['--from', 'main', '--to', 'rotate-dotenv', 'overlays/staging', '-o', 'json']);
    expect(r.status).toBe(1);
    const out = JSON.parse(r.stdout) as { objects: { action: string; object: { kind: string; name: string }; previousName?: string; diff: string; secret?: { formats: string[]; keys: unknown[] } }[] };
    const secret = out.objects.find((o) => o.object.kind === 'Secret')!;
    expect(secret.object.name).toMatch(/^staging-db-[a-z0-9]{10}$/);
    expect(secret.previousName).toMatch(/^staging-db-[a-z0-9]{10}$/);
    expect(secret.previousName).not.toBe(secret.object.name);
    expect(secret.secret).toEqual({ formats: ['generated'], keys: [{ key: 'DB_PASSWORD', status: 'changed' }, { key: 'DB_USER', status: 'unchanged' }] });
    // The Deployment's reference follows the new name: the agent will roll it, so the diff says so.
    expect(out.objects.map((o) => o.object.kind).sort()).toEqual(['Deployment', 'Secret']);
    const deploymentDiff = out.objects.find((o) => o.object.kind === 'Deployment')!.diff.split('\n');
    expect(deploymentDiff.filter((l) => /^[-+] /.test(l)).map((l) => l.replace(/\s+/g, ' '))).toEqual([`- name: ${secret.previousName}`, `+ name: ${secret.object.name}`]);
    expectNoSecret(r.stdout);
    expect(r.stdout).not.toContain('dotenv-new-pw');
  });
});
