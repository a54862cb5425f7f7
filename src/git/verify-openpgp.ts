/**
 * The private GnuPG home for OpenPGP commit verification: a keyring holding only the keys the
 * Sync names, each trusted ultimately, so that "valid signature with full trust" means exactly
 * "signed by one of these keys". Nothing of the user's GnuPG setup is read (`--homedir` is a
 * fresh private folder), no agent or dirmngr is started (`no-autostart`), and no key is ever
 * fetched from a keyserver (`no-auto-key-retrieve`).
 */
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Result of one gpg run. */
interface GpgRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

function gpg(home: string, args: readonly string[], input: string, timeoutMs: number): Promise<GpgRun> {
  return new Promise((resolve, reject) => {
    const child = spawn('gpg', ['--batch', '--no-tty', '--homedir', home, ...args], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LANG: 'C', LC_ALL: 'C', GNUPGHOME: home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString('utf8')).slice(-4096)));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
  });
}

/** Why a keyring could not be made; the message never carries key text or gpg's output. */
export class KeyringError extends Error {}

/**
 * Makes `home` a GnuPG home holding `armoredKeys` (public keys), every primary key trusted
 * ultimately. Resolves with their fingerprints. `home` must be a new private folder.
 */
export async function makeOpenPgpKeyring(home: string, armoredKeys: readonly string[], timeoutMs: number): Promise<string[]> {
  await mkdir(home, { recursive: true, mode: 0o700 });
  await writeFile(join(home, 'gpg.conf'), 'no-autostart\nno-auto-key-retrieve\nno-greeting\ntrust-model pgp\n', { mode: 0o600 });
  for (const [i, key] of armoredKeys.entries()) {
    let run: GpgRun;
    try {
      run = await gpg(home, ['--quiet', '--import-options', 'import-minimal', '--import'], key, timeoutMs);
    } catch (err) {
      const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
      throw new KeyringError(missing ? 'OpenPGP verification needs gpg, which is not installed' : 'gpg could not be run', { cause: err });
    }
    if (run.code !== 0) throw new KeyringError(`OpenPGP key ${i + 1} could not be imported`);
  }
  const listed = await gpg(home, ['--with-colons', '--fixed-list-mode', '--list-keys'], '', timeoutMs);
  const fingerprints: string[] = [];
  let afterPub = false;
  for (const line of listed.stdout.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === 'pub') afterPub = true;
    else if (fields[0] === 'fpr' && afterPub) {
      fingerprints.push(fields[9]!);
      afterPub = false;
    } else if (fields[0] !== 'fpr') afterPub = false;
  }
  if (listed.code !== 0 || fingerprints.length === 0) throw new KeyringError('the OpenPGP keys hold no usable public key');
  const trust = await gpg(home, ['--quiet', '--import-ownertrust'], fingerprints.map((f) => `${f}:6:\n`).join(''), timeoutMs);
  if (trust.code !== 0) throw new KeyringError('the OpenPGP keys could not be marked trusted');
  return fingerprints;
}
