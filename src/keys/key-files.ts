/**
 * Where private keys come from, and writing new ones. Identities are read from `-k` files, else
 * from `SEALOPS_KEY_FILE`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY` (inline) and sops's default file.
 * A missing named file is an error; a new key file is created 0600 and never overwrites one.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { IoError, KeyError, describe } from '../errors.js';
import { parseAgeIdentities } from './age-keys.js';

/** Identities and where each batch came from (for messages; never the keys). */
export interface LoadedIdentities {
  identities: string[];
  sources: string[];
}

/** Options of {@link loadAgeIdentities}. */
export interface LoadIdentitiesOptions {
  /** Files given with `-k`; when present, the environment is not consulted. */
  keyFiles?: readonly string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Also read sops's default `~/.config/sops/age/keys.txt` when it exists (default true). */
  sopsDefault?: boolean;
}

const RECIPIENT_RE = /^age1[0-9a-z]+$/;

async function readKeyFile(path: string, label: string, given: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && RECIPIENT_RE.test(given.trim())) throw recipientGiven(`key file ${label}`);
    throw new KeyError(`failed to read key file ${label}: ${code === 'ENOENT' ? 'no such file' : describe(err)}`, {
      cause: err,
      hint: 'create one with `sealops keygen -o FILE`',
    });
  }
  return identitiesOf(text, `key file ${label}`, given);
}

/** A public key where a private one belongs: said as such, since "no such file" misleads. */
function recipientGiven(where: string): KeyError {
  return new KeyError(`failed to read ${where}: it is an age recipient (a public key), given where an identity belongs`, {
    hint: 'opening needs the private key: pass the identity file (AGE-SECRET-KEY-1…) with -k; recipients go to -r',
  });
}

/**
 * The identities of one key source. A source that was named but holds none (empty, only
 * comments) is an error: falling back to fewer keys or to no key would turn a typo in a path
 * into a check that quietly proves nothing.
 */
function identitiesOf(text: string, source: string, label: string): string[] {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  if (lines.length > 0 && lines.every((l) => RECIPIENT_RE.test(l))) throw recipientGiven(source);
  const ids = parseAgeIdentities(text, source);
  if (ids.length === 0) {
    throw new KeyError(`failed to read ${source}: no identity in ${label}`, {
      hint: 'the file holds no AGE-SECRET-KEY-1… line; point it at the identity file written by `sealops keygen` or age-keygen',
    });
  }
  return ids;
}

/** Loads age identities from the command line or the environment; KeyError when a named file is missing. */
export async function loadAgeIdentities(opts: LoadIdentitiesOptions = {}): Promise<LoadedIdentities> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const out: LoadedIdentities = { identities: [], sources: [] };
  const add = (ids: string[], source: string): void => {
    for (const id of ids) if (!out.identities.includes(id)) out.identities.push(id);
    out.sources.push(source);
  };
  if (opts.keyFiles && opts.keyFiles.length > 0) {
    for (const f of opts.keyFiles) add(await readKeyFile(resolve(cwd, f), f, f), f);
    return out;
  }
  for (const name of ['SEALOPS_KEY_FILE', 'SOPS_AGE_KEY_FILE'] as const) {
    const f = env[name];
    if (f) add(await readKeyFile(resolve(cwd, f), `${f} (${name})`, f), name);
  }
  if (env.SOPS_AGE_KEY) add(identitiesOf(env.SOPS_AGE_KEY, 'SOPS_AGE_KEY', 'SOPS_AGE_KEY'), 'SOPS_AGE_KEY');
  if (opts.sopsDefault !== false && out.identities.length === 0) {
    const base = env.XDG_CONFIG_HOME ?? join(env.HOME ?? homedir(), '.config');
    const f = join(base, 'sops', 'age', 'keys.txt');
    try {
      add(await readKeyFile(f, f, f), f);
    } catch (err) {
      // sops's default file is only looked for, never named: absent or empty is "no key".
      if (!(err instanceof KeyError) || !/no such file|no identity in/.test(err.message)) throw err;
    }
  }
  return out;
}

/**
 * Writes a private key file with mode 0600, creating its folder (0700) when needed. Refuses to
 * replace an existing file: losing a private key loses every secret sealed for it.
 */
export async function writePrivateKeyFile(path: string, content: string, shown: string = path): Promise<void> {
  await writeNewFile(path, content, { mode: 0o600, shown, what: 'key file' });
}

/**
 * The one writer of key material: creates `path` (and its folder, 0700) with `mode`, and never
 * replaces an existing file, even one that appeared since the caller last looked.
 */
export async function writeNewFile(path: string, content: string, opts: { mode: number; shown?: string; what?: string }): Promise<void> {
  const shown = opts.shown ?? path;
  const what = opts.what ? `${opts.what} ` : '';
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  let fh;
  try {
    fh = await open(path, 'wx', opts.mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new IoError(`failed to write ${what}${shown}: it already exists`, { hint: 'sealops never overwrites a key; choose another path or move the old key away' });
    }
    throw new IoError(`failed to write ${what}${shown}: ${describe(err)}`, { cause: err });
  }
  try {
    await fh.writeFile(content, 'utf8');
    // The umask may have narrowed the mode open() asked for.
    await fh.chmod(opts.mode);
  } finally {
    await fh.close();
  }
}
