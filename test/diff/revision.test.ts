// `sealops diff` against real git repositories: which bytes each side reads, exit statuses, and
// errors that name the problem.
import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { readCommitFiles } from '../../src/diff/revision.js';
import { run } from '../cli/helpers.js';
import { gitEnv, makeRepo, type TestRepo } from './git-repo.js';

const cm = (name: string, level: string) => stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'shop' }, data: { level } });

let repo: TestRepo;
afterEach(() => repo?.cleanup());

const diff = (args: string[]) => run(['diff', ...args], { cwd: repo.dir, env: gitEnv(repo.dir) });

describe('sealops diff between revisions', () => {
  it('exits 0 and says so when nothing changed', async () => {
    repo = makeRepo();
    repo.write({ 'app/cm.yaml': cm('settings', 'info') });
    repo.commit('base');
    const r = await diff(['--from', 'HEAD']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/no changes\n$/);
  });

  it('exits 1 with a unified diff of the changed field, against the working tree by default', async () => {
    repo = makeRepo();
    repo.write({ 'app/cm.yaml': cm('settings', 'info') });
    repo.commit('base');
    repo.write({ 'app/cm.yaml': cm('settings', 'debug') });
    const r = await diff(['--from', 'HEAD', 'app']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^changed ConfigMap shop\/settings$/m);
    expect(r.stdout).toMatch(/^ {2}- {2}level: info$/m);
    expect(r.stdout).toMatch(/^ {2}\+ {2}level: debug$/m);
    expect(r.stdout).toMatch(/1 changed, 0 added, 0 removed\n$/);
  });

  it('reads both commits from the object store and leaves the work tree and index alone', async () => {
    repo = makeRepo();
    repo.write({ 'cm.yaml': cm('settings', 'info') });
    const first = repo.commit('one');
    repo.write({ 'cm.yaml': cm('settings', 'warn') });
    repo.commit('two');
    repo.write({ 'cm.yaml': cm('settings', 'uncommitted'), 'new.yaml': cm('extra', 'x') });
    const status = repo.git('status', '--porcelain');
    const r = await diff(['--from', first, '--to', 'HEAD']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\+ {2}level: warn/);
    expect(r.stdout).not.toMatch(/uncommitted|extra/);
    expect(repo.git('status', '--porcelain')).toBe(status);
    expect(readFileSync(join(repo.dir, 'cm.yaml'), 'utf8')).toContain('uncommitted');
  });

  it('does not read files the working tree ignores (where decrypted copies are kept)', async () => {
    repo = makeRepo();
    repo.write({ '.gitignore': '*.dec.yaml\n', 'cm.yaml': cm('settings', 'info') });
    repo.commit('base');
    repo.write({ 'db.dec.yaml': stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'plain-text-pw-123' } }) });
    const r = await diff(['--from', 'HEAD']);
    expect(r.status).toBe(0);
  });

  it('refuses, exit 2, to copy an uncommitted plaintext Secret of the working tree for kustomize, naming it and not its value', async () => {
    repo = makeRepo();
    repo.write({ 'cm.yaml': cm('settings', 'info') });
    repo.commit('base');
    repo.write({ 'db.yaml': stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: 'Plain-Text-Pw-8841!' } }) });
    const r = await diff(['--from', 'HEAD']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^sealops: error: failed to diff the working tree: db\.yaml:\d+ holds what the guard refuses \(secret-plaintext-stringdata\)/m);
    expect(r.stderr).not.toContain('Plain-Text-Pw');
    repo.commit('committed anyway');
    expect((await diff(['--from', 'HEAD~1'])).status).toBe(1);
  });

  it('follows a committed symlink inside the tree and refuses one that leaves it', async () => {
    repo = makeRepo();
    repo.write({ 'real/cm.yaml': cm('settings', 'info') });
    symlinkSync('real/cm.yaml', join(repo.dir, 'linked.yaml'));
    const c = repo.commit('link');
    const files = await readCommitFiles({ cwd: repo.dir, env: gitEnv(repo.dir) }, c);
    expect(files.find((f) => f.path === 'linked.yaml')?.content.toString()).toBe(cm('settings', 'info'));
    symlinkSync('../../etc/passwd', join(repo.dir, 'out.yaml'));
    const bad = repo.commit('escape');
    await expect(readCommitFiles({ cwd: repo.dir }, bad)).rejects.toThrow(/out\.yaml: symlink points outside the repository/);
  });

  it('exits 2 naming the problem for an unknown revision, a broken manifest or a bad output format', async () => {
    repo = makeRepo();
    repo.write({ 'cm.yaml': cm('settings', 'info') });
    repo.commit('base');
    const unknown = await diff(['--from', 'no-such-branch']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^sealops: error: failed to resolve no-such-branch: no such commit$/m);
    expect((await diff(['--from', '--upload-pack=x'])).status).toBe(2);
    expect((await diff(['--from', 'HEAD', '-o', 'yaml'])).stderr).toMatch(/--output must be one of text, markdown, json/);
    repo.write({ 'cm.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n' });
    const broken = await diff(['--from', 'HEAD']);
    expect(broken.status).toBe(2);
    expect(broken.stderr).toMatch(/working tree: failed to parse cm\.yaml/);
  });
});
