/**
 * Proof that the git servers in test/support/git-servers.ts are real: clones over smart HTTP,
 * SSH and file:// get the pushed commit, and wrong credentials are refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo, git, gitAsync, gitEnv, serveFile, serveHttp, serveSsh, type TestRepo } from '../support/git-servers.js';

let repo: TestRepo;
let sha: string;
let scratch: string;

/** Clones `url` into a fresh folder (async: the HTTP server runs in this process). */
async function clone(url: string, env: NodeJS.ProcessEnv = gitEnv()): Promise<string> {
  const dest = mkdtempSync(join(scratch, 'clone-'));
  await gitAsync(scratch, ['clone', '--quiet', url, dest], env);
  return dest;
}

/** Runs a clone expected to fail and resolves with git's error message. */
async function failedClone(url: string, env: NodeJS.ProcessEnv = gitEnv()): Promise<string> {
  const dest = join(scratch, `refused-${Math.random().toString(36).slice(2)}`);
  try {
    await gitAsync(scratch, ['clone', '--quiet', url, dest], env);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`clone of ${url} unexpectedly succeeded`);
}

beforeAll(() => {
  scratch = mkdtempSync(join(tmpdir(), 'sealops-git-test-'));
  repo = createRepo();
  repo.commitFiles({ 'README.md': 'first\n', 'apps/a.yaml': 'kind: ConfigMap\n' }, 'first');
  sha = repo.commitFiles({ 'apps/a.yaml': null, 'apps/b.yaml': 'kind: Secret\n' }, 'second');
});

afterAll(() => {
  repo.cleanup();
  rmSync(scratch, { recursive: true, force: true });
});

describe('createRepo', () => {
  it('pushes each commit to the bare repository and returns its sha', () => {
    expect(sha).toMatch(/^[0-9a-f]{40}$/);
    expect(repo.head()).toBe(sha);
    expect(git(repo.bareDir, ['ls-tree', '-r', '--name-only', sha]).split('\n').sort()).toEqual(['README.md', 'apps/b.yaml']);
  });
});

describe('file:// transport', () => {
  it('clones the pushed commit', async () => {
    const dest = await clone(serveFile(repo.bareDir).url);
    expect(git(dest, ['rev-parse', 'HEAD'])).toBe(sha);
  });
});

describe('smart HTTP transport', () => {
  it('clones with the right token and refuses a wrong one or none', async () => {
    const server = await serveHttp(repo.bareDir);
    try {
      const dest = await clone(server.urlWithCredentials);
      expect(git(dest, ['rev-parse', 'HEAD'])).toBe(sha);
      expect(readFileSync(join(dest, 'apps/b.yaml'), 'utf8')).toBe('kind: Secret\n');

      const wrong = server.urlWithCredentials.replace(server.token, 'not-the-token');
      expect(await failedClone(wrong)).toMatch(/Authentication failed|401/);
      expect(await failedClone(server.url)).toMatch(/could not read Username|Authentication failed|401/);
      expect(server.requests.filter((r) => r.status === 401).length).toBeGreaterThanOrEqual(2);
    } finally {
      await server.stop();
    }
  });

  it('sees a new commit on the next fetch', async () => {
    const server = await serveHttp(repo.bareDir);
    try {
      const dest = await clone(server.urlWithCredentials);
      const next = repo.commitFiles({ 'apps/c.yaml': 'kind: ConfigMap\n' }, 'third');
      await gitAsync(dest, ['fetch', '--quiet', 'origin']);
      expect(git(dest, ['rev-parse', 'origin/main'])).toBe(next);
    } finally {
      await server.stop();
    }
  });
});

describe('SSH transport', () => {
  it('clones with the deploy key and checks the host key', async () => {
    const server = await serveSsh(repo.bareDir);
    try {
      const dest = await clone(server.url, gitEnv({ GIT_SSH_COMMAND: server.sshCommand }));
      expect(git(dest, ['rev-parse', 'HEAD'])).toBe(repo.head());
    } finally {
      await server.stop();
    }
  });

  it('refuses a key that is not authorized', async () => {
    const server = await serveSsh(repo.bareDir);
    try {
      const stranger = server.sshCommand.replace(server.privateKeyPath, server.strangerKey());
      expect(await failedClone(server.url, gitEnv({ GIT_SSH_COMMAND: stranger }))).toMatch(/Permission denied/);
    } finally {
      await server.stop();
    }
  });

  it('refuses a server whose host key is not the known one', async () => {
    const server = await serveSsh(repo.bareDir);
    const other = await serveSsh(repo.bareDir);
    try {
      // The first server's known_hosts names its own key for its port; point it at the other port.
      const known = readFileSync(server.knownHostsPath, 'utf8').replace(`:${server.port}]`, `:${other.port}]`);
      const knownPath = join(scratch, 'wrong_known_hosts');
      writeFileSync(knownPath, known);
      const cmd = other.sshCommand.replace(other.knownHostsPath, knownPath);
      expect(await failedClone(other.url, gitEnv({ GIT_SSH_COMMAND: cmd }))).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    } finally {
      await server.stop();
      await other.stop();
    }
  });
});
