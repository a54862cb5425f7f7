// Commit-signature verification with real git and the real ssh-keygen (Debian openssh-client):
// signing keys are made per run, commits are signed with `git commit -S` (gpg.format=ssh), and
// the fetcher reads them over file:// into a private bare repository as the agent does.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchSnapshot, SourceError } from '../../src/git/source.js';
import { CommitSignatureError, commitSignatureHeader, verifyCommitSignature } from '../../src/git/verify.js';

const env = { PATH: process.env.PATH, HOME: tmpdir(), GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null' };
const git = (cwd: string, args: string[], input?: string): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd, env, encoding: 'utf8', input }).trim();

let root: string;
let repo: string;
let url: string;
let keyA: string;
let keyB: string;
let allowedA: string;
let n = 0;

function sshKey(name: string): string {
  const path = join(root, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
  return path;
}

function publicKey(path: string): string {
  return readFileSync(`${path}.pub`, 'utf8').split(' ').slice(0, 2).join(' ');
}

/** Commits one new file, signed with `key` when given, and returns the commit id. */
function commit(key?: string, message = 'change'): string {
  n += 1;
  mkdirSync(join(repo, 'apps'), { recursive: true });
  writeFileSync(join(repo, 'apps', `f${n}.yaml`), `n: ${n}\n`);
  git(repo, ['add', '-A']);
  const sign = key ? ['-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`, 'commit', '-S'] : ['commit', '--no-gpg-sign'];
  git(repo, [...sign, '-q', '-m', message]);
  return git(repo, ['rev-parse', 'HEAD']);
}

/** Writes a raw commit object and points the branch at it (a forged history). */
function forge(raw: string): string {
  const sha = git(repo, ['hash-object', '-t', 'commit', '-w', '--stdin'], raw);
  git(repo, ['update-ref', 'refs/heads/main', sha]);
  git(repo, ['reset', '-q', '--hard', sha]);
  return sha;
}

const verifyDirs = (): string[] => (existsSync('/dev/shm') ? readdirSync('/dev/shm') : readdirSync(tmpdir())).filter((d) => d.startsWith('sealops-verify-'));

async function refusal(work: string, allowedSigners = allowedA): Promise<SourceError> {
  const err = await fetchSnapshot({ url, ref: { branch: 'main' }, workDir: join(root, work), subdir: 'apps', verify: { allowedSigners } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'sealops-verify-test-'));
  keyA = sshKey('signer-a');
  keyB = sshKey('signer-b');
  allowedA = `# release signers\nalice@example.invalid ${publicKey(keyA)}\n`;
  repo = join(root, 'repo');
  mkdirSync(repo);
  git(repo, ['init', '-q', '-b', 'main']);
  url = `file://${repo}`;
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('fetchSnapshot with signature verification', () => {
  it('returns the files of a commit signed by an allowed signer', async () => {
    const sha = commit(keyA);
    const snap = await fetchSnapshot({ url, ref: { branch: 'main' }, workDir: join(root, 'w1'), subdir: 'apps', verify: { allowedSigners: allowedA } });
    expect(snap.commit).toBe(sha);
    expect(snap.files.map((f) => f.path)).toContain(`apps/f${n}.yaml`);
  });

  it('names the principal and key fingerprint of the allowed signer', async () => {
    const sha = commit(keyA);
    await fetchSnapshot({ url, ref: { branch: 'main' }, workDir: join(root, 'w2') });
    const fingerprint = execFileSync('ssh-keygen', ['-l', '-f', `${keyA}.pub`], { encoding: 'utf8' }).split(' ')[1];
    expect(await verifyCommitSignature(join(root, 'w2'), sha, { allowedSigners: allowedA })).toEqual({ principal: 'alice@example.invalid', fingerprint });
  });

  it('refuses an unsigned commit, naming its short id, and reads nothing', async () => {
    const sha = commit(undefined);
    const err = await refusal('w3');
    expect(err.reason).toBe('SignatureVerificationFailed');
    expect(err.commit).toBe(sha);
    expect(err.message).toBe(`failed to verify commit ${sha.slice(0, 12)}: the commit is not signed`);
    expect((err.cause as CommitSignatureError).problem).toBe('Unsigned');
  });

  it('refuses a commit with a valid signature by a key that is not an allowed signer', async () => {
    const sha = commit(keyB);
    const err = await refusal('w4');
    expect(err.reason).toBe('SignatureVerificationFailed');
    expect((err.cause as CommitSignatureError).problem).toBe('UntrustedSigner');
    expect(err.message).toContain(sha.slice(0, 12));
    // The same commit passes once its key is allowed: the refusal was about trust, not the signature.
    const both = `${allowedA}bob@example.invalid ${publicKey(keyB)}\n`;
    const snap = await fetchSnapshot({ url, ref: { branch: 'main' }, workDir: join(root, 'w4'), verify: { allowedSigners: both } });
    expect(snap.commit).toBe(sha);
  });

  it('refuses a commit whose message was changed under the old signature', async () => {
    const signed = commit(keyA, 'deploy v1');
    const raw = git(repo, ['cat-file', 'commit', signed]) + '\n';
    expect(commitSignatureHeader(raw)).toMatch(/^-----BEGIN SSH SIGNATURE-----/);
    const forged = forge(raw.replace('deploy v1', 'deploy v2'));
    expect(forged).not.toBe(signed);
    const err = await refusal('w5');
    expect(err.reason).toBe('SignatureVerificationFailed');
    expect(err.commit).toBe(forged);
    expect((err.cause as CommitSignatureError).problem).toBe('BadSignature');
  });

  it('refuses an OpenPGP signature when only SSH signers are configured', async () => {
    const base = git(repo, ['cat-file', 'commit', commit(undefined)]) + '\n';
    const header = 'gpgsig -----BEGIN PGP SIGNATURE-----\n \n iQEzBAABCAAdFiEE\n -----END PGP SIGNATURE-----\n';
    const sha = forge(base.replace('\n\n', `\n${header}\n`));
    const err = await refusal('w6');
    expect((err.cause as CommitSignatureError).problem).toBe('UnsupportedSignature');
    expect(err.commit).toBe(sha);
  });

  it('ignores the user git configuration that would trust any key', async () => {
    commit(keyB);
    // A global config that allows signer B and accepts "undefined" trust: the verifier must not read it.
    const allowedB = join(root, 'allowed-b');
    writeFileSync(allowedB, `bob@example.invalid ${publicKey(keyB)}\n`);
    writeFileSync(join(root, 'user.gitconfig'), `[gpg]\n\tminTrustLevel = undefined\n[gpg "ssh"]\n\tallowedSignersFile = ${allowedB}\n`);
    const saved = process.env.GIT_CONFIG_GLOBAL;
    process.env.GIT_CONFIG_GLOBAL = join(root, 'user.gitconfig');
    let err: SourceError;
    try {
      err = await refusal('w7');
    } finally {
      if (saved === undefined) delete process.env.GIT_CONFIG_GLOBAL;
      else process.env.GIT_CONFIG_GLOBAL = saved;
    }
    expect((err.cause as CommitSignatureError).problem).toBe('UntrustedSigner');
  });

  it('refuses an empty allowed signers list instead of verifying nothing', async () => {
    commit(keyA);
    const err = await refusal('w8', '# nobody\n\n');
    expect(err.reason).toBe('SignatureVerificationFailed');
    expect(err.message).toContain('allowed signers list is empty');
  });

  it('leaves no temp folder with key material behind, on success or refusal', async () => {
    const before = new Set(verifyDirs());
    commit(keyA);
    await fetchSnapshot({ url, ref: { branch: 'main' }, workDir: join(root, 'w9'), verify: { allowedSigners: allowedA } });
    commit(keyB);
    await refusal('w9');
    expect(verifyDirs().filter((d) => !before.has(d))).toEqual([]);
  });
});
