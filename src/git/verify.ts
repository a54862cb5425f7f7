/**
 * Commit-signature verification for the agent's source stage: the fetched commit must carry an
 * SSH signature that verifies against an allowed-signers list the Sync names (or an OpenPGP
 * signature by one of its OpenPGP keys), or nothing of it is read, built or applied.
 *
 * git does the work (`git verify-commit`, which runs `ssh-keygen -Y find-principals` and
 * `ssh-keygen -Y verify`), but under a configuration we control entirely: the allowed-signers
 * file is a private temp file, `ssh-keygen` is named explicitly, GNUPGHOME is an empty private
 * folder, and user/system configuration is off (see source-exec.ts). Two traps of git are
 * handled on purpose:
 * - `git verify-commit` exits 1 without a word for an unsigned commit, so the exit code is
 *   checked, never the output alone;
 * - for an SSH signature by a key NOT in the allowed-signers file, git falls back to
 *   `ssh-keygen -Y check-novalidate`, which prints `Good "git" signature with …` (no principal).
 *   git 2.39 exits 1 there, but whether that counts as a failure rests on git's trust-level
 *   rules, so the verifier does not depend on it: `gpg.minTrustLevel=fully` (only a matched
 *   principal reaches "fully") and the `Good "git" signature for <principal>` line is required
 *   besides exit code 0.
 * OpenPGP signatures are checked by gpg against a keyring of only the Sync's keys (see
 * verify-openpgp.ts); `VALIDSIG` plus full or ultimate trust is required besides exit code 0.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { privateTempDir, runGit } from './source-exec.js';
import { KeyringError, makeOpenPgpKeyring } from './verify-openpgp.js';

/** Why a commit was refused. */
export type SignatureProblem = 'Unsigned' | 'UnsupportedSignature' | 'UntrustedSigner' | 'BadSignature' | 'VerifierFailed';

/** Thrown when a commit does not carry a valid signature from an allowed signer. */
export class CommitSignatureError extends Error {
  /** What was wrong with the signature. */
  readonly problem: SignatureProblem;
  /** The full id of the refused commit. */
  readonly commit: string;
  constructor(problem: SignatureProblem, commit: string, message: string) {
    super(message);
    this.name = 'CommitSignatureError';
    this.problem = problem;
    this.commit = commit;
  }
}

/** Trusted keys for {@link verifyCommitSignature}; at least one kind must name a key. */
export interface SignatureKeys {
  /** SSH allowed signers, in git's `gpg.ssh.allowedSignersFile` format (`principal [options] key-type key`). */
  readonly allowedSigners?: string;
  /** ASCII-armored OpenPGP public keys. */
  readonly openpgpKeys?: readonly string[];
}

/** Who signed an accepted commit. */
export interface VerifiedSignature {
  /** The allowed-signers principal (SSH) or the key's user id (OpenPGP). */
  readonly principal: string;
  /** The signing key's fingerprint (`SHA256:…` for SSH, hex for OpenPGP). */
  readonly fingerprint: string;
}

/** The number of allowed-signers lines that name a key (comments and blank lines ignored). */
export function countAllowedSigners(text: string): number {
  return text.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('#')).length;
}

/** The signature header of a raw commit object, or undefined when it is unsigned. */
export function commitSignatureHeader(raw: string): string | undefined {
  const end = raw.indexOf('\n\n');
  const headers = (end === -1 ? raw : raw.slice(0, end)).split('\n');
  const start = headers.findIndex((h) => h.startsWith('gpgsig ') || h.startsWith('gpgsig-sha256 '));
  if (start === -1) return undefined;
  // Continuation lines of a multi-line header start with one space.
  const lines = [headers[start]!.slice(headers[start]!.indexOf(' ') + 1)];
  for (let i = start + 1; i < headers.length && headers[i]!.startsWith(' '); i++) lines.push(headers[i]!.slice(1));
  return lines.join('\n');
}

type Refuse = (problem: SignatureProblem, why: string) => CommitSignatureError;

const GIT_BASE = ['core.hooksPath=/dev/null', 'gpg.minTrustLevel=fully', 'gpg.program=gpg', 'gpg.ssh.program=ssh-keygen'];

async function verifySsh(repoDir: string, commit: string, allowedSigners: string, dir: string, timeoutMs: number, refuse: Refuse): Promise<VerifiedSignature> {
  const signers = join(dir, 'allowed_signers');
  await writeFile(signers, allowedSigners.endsWith('\n') ? allowedSigners : `${allowedSigners}\n`, { mode: 0o600 });
  const config = [...GIT_BASE, 'gpg.format=ssh', `gpg.ssh.allowedSignersFile=${signers}`].flatMap((c) => ['-c', c]);
  const run = await runGit([...config, 'verify-commit', '--raw', commit], { cwd: repoDir, timeoutMs, env: { GNUPGHOME: join(dir, 'gnupg') } });
  const output = run.stderr;
  const good = /Good "git" signature for (.+?) with \S+ key (SHA256:[A-Za-z0-9+/=]+)/.exec(output);
  if (run.code === 0 && good) return { principal: good[1]!, fingerprint: good[2]! };
  if (run.timedOut) throw refuse('VerifierFailed', 'verification exceeded its time limit');
  if (/No principal matched|Good "git" signature with/.test(output)) {
    const key = /(SHA256:[A-Za-z0-9+/=]+)/.exec(output)?.[1];
    throw refuse('UntrustedSigner', `signed by a key that is not an allowed signer${key ? ` (${key})` : ''}`);
  }
  if (/Could not verify signature|Signature verification failed|incorrect signature|signature.*invalid/i.test(output)) {
    throw refuse('BadSignature', 'the signature does not match the commit (tampered or corrupt)');
  }
  throw refuse('BadSignature', 'the signature did not verify against the allowed signers');
}

async function verifyOpenPgp(repoDir: string, commit: string, keys: readonly string[], dir: string, timeoutMs: number, refuse: Refuse): Promise<VerifiedSignature> {
  const home = join(dir, 'gnupg');
  try {
    await makeOpenPgpKeyring(home, keys, timeoutMs);
  } catch (err) {
    if (err instanceof KeyringError) throw refuse('VerifierFailed', err.message);
    throw err;
  }
  const config = [...GIT_BASE, 'gpg.format=openpgp'].flatMap((c) => ['-c', c]);
  const run = await runGit([...config, 'verify-commit', '--raw', commit], { cwd: repoDir, timeoutMs, env: { GNUPGHOME: home } });
  const status = run.stderr;
  const valid = /^\[GNUPG:\] VALIDSIG ([0-9A-F]{40,64}) /m.exec(status);
  const user = /^\[GNUPG:\] GOODSIG [0-9A-F]+ (.*)$/m.exec(status);
  if (run.code === 0 && valid && /^\[GNUPG:\] TRUST_(FULLY|ULTIMATE)\b/m.test(status)) return { principal: user?.[1] ?? '', fingerprint: valid[1]! };
  if (run.timedOut) throw refuse('VerifierFailed', 'verification exceeded its time limit');
  const keyId = /^\[GNUPG:\] (?:NO_PUBKEY|ERRSIG) ([0-9A-F]+)/m.exec(status)?.[1];
  if (/^\[GNUPG:\] NO_PUBKEY /m.test(status)) throw refuse('UntrustedSigner', `signed by an OpenPGP key that is not an allowed signer${keyId ? ` (${keyId})` : ''}`);
  if (/^\[GNUPG:\] (EXPKEYSIG|REVKEYSIG|EXPSIG) /m.test(status)) throw refuse('BadSignature', 'signed by an expired or revoked OpenPGP key, or the signature expired');
  if (/^\[GNUPG:\] BADSIG /m.test(status)) throw refuse('BadSignature', 'the signature does not match the commit (tampered or corrupt)');
  if (/cannot run gpg|No such file/.test(status)) throw refuse('VerifierFailed', 'OpenPGP verification needs gpg, which is not installed');
  throw refuse('BadSignature', 'the signature did not verify against the OpenPGP keys');
}

/**
 * Verifies that `commit` in the bare repository `repoDir` is signed by one of `keys`. Resolves
 * with the signer; throws {@link CommitSignatureError} naming the commit's short id otherwise.
 * Its temp folder (allowed signers, GnuPG home) is removed on every path.
 */
export async function verifyCommitSignature(repoDir: string, commit: string, keys: SignatureKeys, timeoutMs = 30_000): Promise<VerifiedSignature> {
  const short = commit.slice(0, 12);
  const refuse: Refuse = (problem, why) => new CommitSignatureError(problem, commit, `failed to verify commit ${short}: ${why}`);
  const ssh = keys.allowedSigners !== undefined && countAllowedSigners(keys.allowedSigners) > 0 ? keys.allowedSigners : undefined;
  const pgp = keys.openpgpKeys?.filter((k) => k.trim() !== '') ?? [];
  if (ssh === undefined && pgp.length === 0) throw refuse('VerifierFailed', 'the allowed signers list is empty');

  const raw = await runGit(['-c', 'core.hooksPath=/dev/null', 'cat-file', 'commit', commit], { cwd: repoDir, timeoutMs, maxStdoutBytes: 16 * 1024 * 1024 });
  if (raw.code !== 0) throw refuse('VerifierFailed', 'the commit object could not be read');
  const signature = commitSignatureHeader(raw.stdout.toString('utf8'));
  if (signature === undefined) throw refuse('Unsigned', 'the commit is not signed');
  const kind = signature.startsWith('-----BEGIN SSH SIGNATURE-----') ? 'ssh' : signature.startsWith('-----BEGIN PGP SIGNATURE-----') ? 'openpgp' : 'other';
  if (kind === 'other') throw refuse('UnsupportedSignature', 'the commit has a signature that is neither SSH nor OpenPGP (X.509?)');
  if (kind === 'ssh' && ssh === undefined) throw refuse('UnsupportedSignature', 'the commit has an SSH signature but no allowed_signers are configured');
  if (kind === 'openpgp' && pgp.length === 0) throw refuse('UnsupportedSignature', 'the commit has an OpenPGP signature but no OpenPGP keys are configured');

  const dir = await privateTempDir('sealops-verify-');
  try {
    await mkdir(join(dir, 'gnupg'), { mode: 0o700 });
    return kind === 'ssh' ? await verifySsh(repoDir, commit, ssh!, dir, timeoutMs, refuse) : await verifyOpenPgp(repoDir, commit, pgp, dir, timeoutMs, refuse);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
