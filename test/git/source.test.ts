// The source fetcher against real git repositories over file://. HTTP and SSH transports are
// covered end to end in test/e2e/agent-*.int.test.ts with the real git servers.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, symlinkSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fetchSnapshot, SourceError } from '../../src/git/source.js';
import { folderBytes } from '../support/git-servers.js';

const git = (cwd: string, ...args: string[]): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', '-c', 'commit.gpgsign=false', ...args], { cwd, encoding: 'utf8' }).trim();

let root: string;
let repo: string;
let url: string;

function commitFiles(files: Record<string, string>, message = 'change'): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(repo, path, '..'), { recursive: true });
    writeFileSync(join(repo, path), content);
  }
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
  return git(repo, 'rev-parse', 'HEAD');
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sealops-source-'));
  repo = join(root, 'repo');
  mkdirSync(repo);
  git(repo, 'init', '-q', '-b', 'main');
  url = `file://${repo}`;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('fetchSnapshot over file://', () => {
  it('returns the branch commit and the files under the path in sorted order', async () => {
    const commit = commitFiles({ 'apps/b.yaml': 'b: 1\n', 'apps/a.yaml': 'a: 1\n', 'other/c.yaml': 'c: 1\n' });
    const snap = await fetchSnapshot({ url, ref: { branch: 'main' }, workDir: join(root, 'w1'), subdir: 'apps' });
    expect(snap.commit).toBe(commit);
    expect(snap.files.map((f) => f.path)).toEqual(['apps/a.yaml', 'apps/b.yaml']);
    expect(snap.files[0]!.content.toString()).toBe('a: 1\n');
  });

  it('fetches a tag and a commit id, and sees a new commit on the next fetch into the same work dir', async () => {
    const first = git(repo, 'rev-parse', 'HEAD');
    git(repo, 'tag', '-a', '-m', 'v1', 'v1');
    const second = commitFiles({ 'apps/a.yaml': 'a: 2\n' });
    const work = join(root, 'w2');
    expect((await fetchSnapshot({ url, ref: { tag: 'v1' }, workDir: work })).commit).toBe(first);
    expect((await fetchSnapshot({ url, ref: { branch: 'main' }, workDir: work })).commit).toBe(second);
    const byId = await fetchSnapshot({ url, ref: { commit: first }, workDir: work, subdir: 'apps' });
    expect(byId.files.find((f) => f.path === 'apps/a.yaml')!.content.toString()).toBe('a: 1\n');
  });

  it('fetches again after a git killed mid-fetch (the reconcile deadline, or the agent killed) left its locks behind', async () => {
    const work = join(root, 'w-locks');
    await fetchSnapshot({ url, ref: { branch: 'main' }, workDir: work });
    // What a SIGKILLed `git fetch --depth 1` leaves in the bare repository.
    writeFileSync(join(work, 'shallow.lock'), '');
    mkdirSync(join(work, 'refs', 'sealops'), { recursive: true });
    writeFileSync(join(work, 'refs', 'sealops', 'target.lock'), '');
    const next = commitFiles({ 'apps/locks.yaml': 'l: 1\n' });
    expect((await fetchSnapshot({ url, ref: { branch: 'main' }, workDir: work })).commit).toBe(next);
    expect(existsSync(join(work, 'shallow.lock'))).toBe(false);
  });

  it('reports a missing branch as RefNotFound', async () => {
    const err = await fetchSnapshot({ url, ref: { branch: 'nope' }, workDir: join(root, 'w3') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).reason).toBe('RefNotFound');
  });

  it('reports a repository that does not exist as Unreachable', async () => {
    const err = await fetchSnapshot({ url: `file://${root}/missing`, workDir: join(root, 'w4') }).catch((e: unknown) => e);
    expect((err as SourceError).reason).toBe('Unreachable');
  });

  it('refuses a symlink that leaves the repository', async () => {
    symlinkSync('../../../etc/passwd', join(repo, 'apps', 'escape.yaml'));
    commitFiles({}, 'symlink');
    const err = await fetchSnapshot({ url, workDir: join(root, 'w5'), subdir: 'apps' }).catch((e: unknown) => e);
    expect((err as SourceError).reason).toBe('SymlinkEscape');
    expect((err as Error).message).toContain('apps/escape.yaml');
    rmSync(join(repo, 'apps', 'escape.yaml'));
    commitFiles({}, 'drop symlink');
  });

  it('follows a symlink that stays inside the repository', async () => {
    symlinkSync('../other/c.yaml', join(repo, 'apps', 'link.yaml'));
    commitFiles({}, 'inner symlink');
    const snap = await fetchSnapshot({ url, workDir: join(root, 'w6'), subdir: 'apps' });
    expect(snap.files.find((f) => f.path === 'apps/link.yaml')!.content.toString()).toBe('c: 1\n');
  });

  it('refuses a file over the size cap, naming the file and the commit it refused', async () => {
    const head = commitFiles({ 'apps/big.yaml': 'x'.repeat(5000) });
    const err = await fetchSnapshot({ url, workDir: join(root, 'w7'), subdir: 'apps', maxFileBytes: 4096 }).catch((e: unknown) => e);
    expect((err as SourceError).reason).toBe('FileTooLarge');
    expect((err as SourceError).message).toContain('apps/big.yaml is 5000 bytes');
    expect((err as SourceError).commit).toBe(head);
  });

  it('reads a file of several MiB by default, as CRD bundles are', async () => {
    commitFiles({ 'apps/big.yaml': `a: ${'x'.repeat(3 * 1024 * 1024)}\n` });
    const snap = await fetchSnapshot({ url, workDir: join(root, 'w7b'), subdir: 'apps' });
    expect(snap.files.find((f) => f.path === 'apps/big.yaml')!.content.length).toBeGreaterThan(3 * 1024 * 1024);
  });

  it('refuses a tree over the total cap before reading any file, naming where it crossed', async () => {
    const err = await fetchSnapshot({ url, workDir: join(root, 'w7c'), subdir: 'apps', maxTotalBytes: 1024 * 1024 }).catch((e: unknown) => e);
    expect((err as SourceError).reason).toBe('FileTooLarge');
    expect((err as SourceError).message).toMatch(/exceed the 1048576-byte total limit \(reached at apps\/big\.yaml/);
  });

  it('never runs hooks or filters from the fetched repository', async () => {
    const marker = join(root, 'filter-ran');
    commitFiles({ '.gitattributes': '*.yaml filter=evil\n', 'apps/f.yaml': 'f: 1\n' });
    // The agent's own user config names a filter and a hooks folder whose hook runs on every ref
    // update; the fetcher ignores user config, points hooks at /dev/null and never checks out.
    writeFileSync(join(root, 'gitconfig'), `[filter "evil"]\n\tsmudge = touch ${marker}\n\trequired = true\n[core]\n\thooksPath = ${root}/hooks\n`);
    mkdirSync(join(root, 'hooks'), { recursive: true });
    writeFileSync(join(root, 'hooks', 'reference-transaction'), `#!/bin/sh\ntouch ${marker}\n`, { mode: 0o755 });
    const saved = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = join(root, 'gitconfig');
    let snap;
    try {
      snap = await fetchSnapshot({ url, workDir: join(root, 'w8'), subdir: 'apps' });
    } finally {
      if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = saved;
    }
    expect(snap.files.find((f) => f.path === 'apps/f.yaml')!.content.toString()).toBe('f: 1\n');
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses transports other than https, http, ssh and file', async () => {
    const err = await fetchSnapshot({ url: 'ext::sh -c touch% /tmp/pwned', workDir: join(root, 'w9') }).catch((e: unknown) => e);
    expect((err as SourceError).reason).toBe('InvalidSource');
  });

  it('refuses a ref name that looks like an option', async () => {
    const err = await fetchSnapshot({ url, ref: { branch: '--upload-pack=touch' }, workDir: join(root, 'w10') }).catch((e: unknown) => e);
    expect((err as SourceError).reason).toBe('InvalidSource');
  });
});

describe('fetchSnapshot from a server that allows partial-clone filters', () => {
  const big = 2 * 1024 * 1024;
  const cap = 64 * 1024;
  let filtered: string;
  let filteredUrl: string;
  const commitTo = (files: Record<string, string | Buffer>): string => {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(join(filtered, path, '..'), { recursive: true });
      writeFileSync(join(filtered, path), content);
    }
    git(filtered, 'add', '-A');
    git(filtered, 'commit', '-q', '-m', 'change');
    return git(filtered, 'rev-parse', 'HEAD');
  };

  beforeAll(() => {
    filtered = join(root, 'filtered');
    mkdirSync(filtered);
    git(filtered, 'init', '-q', '-b', 'main');
    git(filtered, 'config', 'uploadpack.allowFilter', 'true');
    filteredUrl = `file://${filtered}`;
  });

  it('refuses a file over the cap without downloading it, naming the file and the cap', async () => {
    const head = commitTo({ 'apps/a.yaml': 'a: 1\n', 'apps/blob.bin': randomBytes(big) });
    const workDir = join(root, 'f1');
    const err = await fetchSnapshot({ url: filteredUrl, workDir, subdir: 'apps', maxFileBytes: cap }).catch((e: unknown) => e);
    expect((err as SourceError).reason).toBe('FileTooLarge');
    expect((err as SourceError).message).toContain(`apps/blob.bin is over the ${cap}-byte per-file limit`);
    expect((err as SourceError).commit).toBe(head);
    // Random bytes do not compress: had the blob (or a lazy fetch of it) arrived, it would be here.
    expect(folderBytes(join(workDir, 'objects'))).toBeLessThan(big / 10);
    // And the repository can no longer fetch it on demand: no promisor remote is left configured.
    expect(execFileSync('git', ['config', '--list'], { cwd: workDir, encoding: 'utf8' })).not.toMatch(/promisor|partialclone/i);
  });

  it('reads a file exactly at the cap, which the filter keeps', async () => {
    commitTo({ 'apps/blob.bin': '', 'edge/exact.bin': randomBytes(cap) });
    const snap = await fetchSnapshot({ url: filteredUrl, workDir: join(root, 'f2'), subdir: 'edge', maxFileBytes: cap });
    expect(snap.files.map((f) => [f.path, f.content.length])).toEqual([['edge/exact.bin', cap]]);
  });

  it('syncs a path while a file over the cap outside it is left out, but refuses a symlink to that file', async () => {
    commitTo({ 'docs/huge.bin': randomBytes(big) });
    const workDir = join(root, 'f3');
    const snap = await fetchSnapshot({ url: filteredUrl, workDir, subdir: 'apps', maxFileBytes: cap });
    expect(snap.files.map((f) => f.path)).toEqual(['apps/a.yaml', 'apps/blob.bin']);
    expect(folderBytes(join(workDir, 'objects'))).toBeLessThan(big / 10);
    symlinkSync('../docs/huge.bin', join(filtered, 'apps', 'huge.bin'));
    commitTo({});
    const err = await fetchSnapshot({ url: filteredUrl, workDir, subdir: 'apps', maxFileBytes: cap }).catch((e: unknown) => e);
    expect((err as SourceError).reason).toBe('FileTooLarge');
    expect((err as SourceError).message).toContain(`apps/huge.bin is over the ${cap}-byte per-file limit`);
    expect(folderBytes(join(workDir, 'objects'))).toBeLessThan(big / 10);
  });
});
