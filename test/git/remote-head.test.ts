// The head of a remote ref by `git ls-remote`, with real git over file://.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, git, type TestRepo } from '../support/git-servers.js';
import { remoteHead } from '../../src/git/remote-head.js';
import { GitError } from '../../src/errors.js';

let repo: TestRepo;
let url: string;
let first: string;
let second: string;

beforeAll(() => {
  repo = createRepo();
  url = `file://${repo.bareDir}`;
  first = repo.commitFiles({ 'a.txt': 'one' });
  git(repo.workDir, ['tag', '-a', 'v1', '-m', 'release one']);
  git(repo.workDir, ['push', '--quiet', 'origin', 'v1']);
  second = repo.commitFiles({ 'a.txt': 'two' });
});
afterAll(() => repo?.cleanup());

describe('remoteHead', () => {
  it('reads the commit a branch points at', async () => {
    expect(await remoteHead(url, { branch: 'main' })).toBe(second);
  });

  it('peels an annotated tag to its commit', async () => {
    expect(await remoteHead(url, { tag: 'v1' })).toBe(first);
  });

  it('takes a pinned commit as its own head without asking the remote', async () => {
    expect(await remoteHead('file:///nonexistent/repo.git', { commit: first })).toBe(first);
  });

  it('fails with a GitError for a missing branch or an unreachable repository', async () => {
    await expect(remoteHead(url, { branch: 'nope' })).rejects.toThrow(/no ref refs\/heads\/nope/);
    await expect(remoteHead('file:///nonexistent/repo.git', { branch: 'main' })).rejects.toBeInstanceOf(GitError);
  });

  it('refuses transports that run programs, and keeps credentials in a URL out of the message', async () => {
    await expect(remoteHead('ext::sh -c touch% /tmp/sealops-pwned', { branch: 'main' })).rejects.toThrow(/failed to read the head of ext::/);
    const err = await remoteHead('http://user:hunter2-token@127.0.0.1:1/repo.git', { branch: 'main' }, { timeoutMs: 5000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GitError);
    expect((err as Error).message).not.toContain('hunter2-token');
    expect((err as Error).message).toContain('//***@127.0.0.1:1');
  });
});
