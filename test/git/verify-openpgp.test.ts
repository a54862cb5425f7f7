// OpenPGP commit-signature verification with real git and the real gpg (Debian gpg 2.2): two
// signing keys are made per run in a test GnuPG home, commits are signed with `git commit -S`
// (gpg.format=openpgp), and the fetcher verifies them against a keyring of the allowed key only.
// Needs Debian `gnupg` (gpg, gpg-agent): skipped, like the cluster tests, where it is not installed.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchSnapshot, SourceError } from '../../src/git/source.js';
import { CommitSignatureError, verifyCommitSignature } from '../../src/git/verify.js';
import { KeyringError, makeOpenPgpKeyring } from '../../src/git/verify-openpgp.js';

/** Whether gpg and gpg-agent (for key generation and signing) are on PATH. */
function gpgInstalled(): boolean {
  try {
    execFileSync('gpg', ['--version'], { stdio: 'ignore' });
    execFileSync('gpg-agent', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const describeWithGpg: typeof describe = describe.skipIf(!gpgInstalled()) as typeof describe;

let root: string;
let signHome: string;
let repo: string;
let url: string;
let release: { fpr: string; armored: string };
let other: { fpr: string; armored: string };
let n = 0;

const env = (): NodeJS.ProcessEnv => ({ PATH: process.env.PATH, HOME: root, GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_GLOBAL: '/dev/null', GNUPGHOME: signHome });
const git = (args: string[], input?: string): string =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], { cwd: repo, env: env(), encoding: 'utf8', input }).trim();
const gpg = (args: string[]): string => execFileSync('gpg', ['--batch', '--homedir', signHome, ...args], { env: env(), encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

function makeKey(uid: string): { fpr: string; armored: string } {
  gpg(['--passphrase', '', '--quick-gen-key', uid, 'ed25519', 'sign', 'never']);
  const fpr = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(['--with-colons', '--list-keys', uid]))![1]!;
  return { fpr, armored: gpg(['--armor', '--export', fpr]) };
}

function commit(fpr: string | undefined, message = 'change'): string {
  n += 1;
  writeFileSync(join(repo, `f${n}.yaml`), `n: ${n}\n`);
  git(['add', '-A']);
  git([...(fpr ? ['-c', 'gpg.format=openpgp', '-c', `user.signingkey=${fpr}`, 'commit', '-S'] : ['commit', '--no-gpg-sign']), '-q', '-m', message]);
  return git(['rev-parse', 'HEAD']);
}

async function refusal(work: string): Promise<SourceError> {
  const err = await fetchSnapshot({ url, workDir: join(root, work), verify: { openpgpKeys: [release.armored] } }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}

beforeAll(() => {
  if (!gpgInstalled()) return;
  root = mkdtempSync(join(tmpdir(), 'sealops-pgp-'));
  signHome = join(root, 'gh');
  mkdirSync(signHome, { mode: 0o700 });
  release = makeKey('Release <release@example.invalid>');
  other = makeKey('Other <other@example.invalid>');
  repo = join(root, 'repo');
  mkdirSync(repo);
  git(['init', '-q', '-b', 'main']);
  url = `file://${repo}`;
});
afterAll(() => {
  if (!root) return;
  // Key generation and signing started a gpg-agent for the test home; stop exactly that one.
  if (signHome) execFileSync('gpgconf', ['--homedir', signHome, '--kill', 'gpg-agent'], { env: env(), stdio: 'ignore' });
  rmSync(root, { recursive: true, force: true });
});

describeWithGpg('OpenPGP commit verification', () => {
  it('accepts a commit signed by an allowed OpenPGP key and names its fingerprint and user id', async () => {
    const sha = commit(release.fpr);
    const snap = await fetchSnapshot({ url, workDir: join(root, 'w1'), verify: { openpgpKeys: [release.armored] } });
    expect(snap.commit).toBe(sha);
    expect(await verifyCommitSignature(join(root, 'w1'), sha, { openpgpKeys: [other.armored, release.armored] })).toEqual({
      principal: 'Release <release@example.invalid>',
      fingerprint: release.fpr,
    });
  });

  it('refuses a commit signed by an OpenPGP key that is not allowed', async () => {
    const sha = commit(other.fpr);
    const err = await refusal('w2');
    expect(err.reason).toBe('SignatureVerificationFailed');
    expect(err.commit).toBe(sha);
    expect((err.cause as CommitSignatureError).problem).toBe('UntrustedSigner');
    expect(err.message).toContain(sha.slice(0, 12));
  });

  it('refuses a commit whose message was changed under the old OpenPGP signature', async () => {
    const signed = commit(release.fpr, 'deploy v1');
    const raw = git(['cat-file', 'commit', signed]) + '\n';
    const forged = git(['hash-object', '-t', 'commit', '-w', '--stdin'], raw.replace('deploy v1', 'deploy v2'));
    git(['update-ref', 'refs/heads/main', forged]);
    const err = await refusal('w3');
    expect(err.commit).toBe(forged);
    expect((err.cause as CommitSignatureError).problem).toBe('BadSignature');
  });

  it('refuses an unsigned commit', async () => {
    commit(undefined);
    expect(((await refusal('w4')).cause as CommitSignatureError).problem).toBe('Unsigned');
  });

  it('refuses an SSH-signed commit when only OpenPGP keys are configured', async () => {
    const sshKey = join(root, 'ssh-key');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', sshKey]);
    commit(undefined);
    git(['-c', 'gpg.format=ssh', '-c', `user.signingkey=${sshKey}`, 'commit', '-q', '-S', '--amend', '--no-edit']);
    expect(((await refusal('w5')).cause as CommitSignatureError).problem).toBe('UnsupportedSignature');
  });
});

describeWithGpg('makeOpenPgpKeyring', () => {
  it('trusts exactly the given keys and starts no gpg-agent', async () => {
    const home = join(root, 'ring');
    expect(await makeOpenPgpKeyring(home, [release.armored], 10_000)).toEqual([release.fpr]);
    const listed = execFileSync('gpg', ['--batch', '--homedir', home, '--with-colons', '--list-keys'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(listed).toContain(release.fpr);
    expect(listed).not.toContain(other.fpr);
    expect(readdirSync(home).filter((f) => f.startsWith('S.gpg-agent'))).toEqual([]);
  });

  it('refuses text that is not an OpenPGP key without echoing it', async () => {
    const junk = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nbm90IGEga2V5\n-----END PGP PUBLIC KEY BLOCK-----\n';
    const err = await makeOpenPgpKeyring(join(root, 'junk'), [junk], 10_000).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyringError);
    expect((err as Error).message).not.toContain('bm90IGEga2V5');
    expect(existsSync(join(root, 'junk'))).toBe(true);
  });
});
