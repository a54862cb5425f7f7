/**
 * The keys a command opens sealed files with: age identities (SOPS) and RSA private keys
 * (SealedSecrets), from `-k` files or the environment. This is the one place that decides what
 * a key source is, so a wrong `-k` is named as what it is (a recipient, a certificate, an empty
 * file) instead of failing later as "no key matches".
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { containsAgeIdentity } from '../crypto/age.js';
import { KeyError, describe } from '../errors.js';
import type { KeyRing } from '../formats/index.js';
import { parseAgeIdentities } from './age-keys.js';
import { loadAgeIdentities } from './key-files.js';
import { loadRsaPrivateKeys } from './rsa-private.js';


/** What a key source holds. */
export type KeySourceKind = 'age-identity' | 'rsa-private-key' | 'age-recipient' | 'certificate' | 'empty' | 'unknown';

const AGE_RECIPIENT = /^(age1[0-9a-z]{20,}|age1pq1[0-9a-z]+)$/m;

/** Classifies the text of a key source without parsing a key out of it. */
export function classifyKeySource(text: string): KeySourceKind {
  const meaningful = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  if (meaningful.length === 0) return 'empty';
  const body = meaningful.join('\n');
  if (containsAgeIdentity(body)) return 'age-identity';
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(body) || /tls\.key/.test(body)) return 'rsa-private-key';
  if (AGE_RECIPIENT.test(body)) return 'age-recipient';
  if (/-----BEGIN CERTIFICATE-----|-----BEGIN PUBLIC KEY-----/.test(body)) return 'certificate';
  return 'unknown';
}

/** Reads one key source's keys into `ring`, or throws a KeyError that names what it holds instead. */
function addKeySource(text: string, label: string, ring: { ageIdentities: string[]; rsaKeys: KeyObject[] }): void {
  switch (classifyKeySource(text)) {
    case 'age-identity':
      for (const id of parseAgeIdentities(text, `key file ${label}`)) if (!ring.ageIdentities.includes(id)) ring.ageIdentities.push(id);
      return;
    case 'rsa-private-key':
      ring.rsaKeys.push(...loadRsaPrivateKeys(text, `key file ${label}`));
      return;
    case 'age-recipient':
      throw new KeyError(`failed to read key file ${label}: it holds an age recipient (a public key), not an identity`, {
        hint: '-k takes the private key file (AGE-SECRET-KEY-1…, from sealops keygen -o); recipients go to seal -r',
      });
    case 'certificate':
      throw new KeyError(`failed to read key file ${label}: it holds a certificate or public key, not a private key`, {
        hint: '-k takes the cluster private key (KEY.pem); certificates go to seal --cert',
      });
    case 'empty':
      throw new KeyError(`failed to read key file ${label}: no identity in it (it is empty or holds only comments)`, { hint: 'create a key with sealops keygen -o FILE' });
    case 'unknown':
      throw new KeyError(`failed to read key file ${label}: it is neither an age identity file nor an RSA private key`, {
        hint: '-k takes an age identity file (AGE-SECRET-KEY-1…) or a PEM RSA private key',
      });
  }
}

async function readSource(path: string, label: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // `-k age1…`: a recipient typed where a key file belongs is named as such, not as a missing file.
    if (code === 'ENOENT' && AGE_RECIPIENT.test(label.trim())) {
      throw new KeyError(`failed to read key file ${label}: it is an age recipient (a public key), given where an identity belongs`, {
        hint: '-k takes the private key file (AGE-SECRET-KEY-1…, from sealops keygen -o); recipients go to seal -r',
      });
    }
    throw new KeyError(`failed to read key file ${label}: ${code === 'ENOENT' ? 'no such file' : describe(err)}`, {
      cause: err,
      hint: 'create one with `sealops keygen -o FILE`',
    });
  }
}

/** Options of {@link loadKeyRing}. */
export interface LoadKeyRingOptions {
  /** Files given with `-k`; when present, the environment is not consulted. */
  readonly keyFiles?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/**
 * Loads every key of the `-k` files, else of `SEALOPS_KEY_FILE` (age or RSA), then the sops
 * variables and sops's default key file (age). An empty ring is not an error here: the
 * format that needs a key says so, naming the kind it needs.
 */
export async function loadKeyRing(opts: LoadKeyRingOptions = {}): Promise<KeyRing> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const ring = { ageIdentities: [] as string[], rsaKeys: [] as KeyObject[], sources: [] as string[] };
  if (opts.keyFiles && opts.keyFiles.length > 0) {
    for (const f of opts.keyFiles) {
      addKeySource(await readSource(resolve(cwd, f), f), f, ring);
      ring.sources.push(f);
    }
    return ring;
  }
  const own = env.SEALOPS_KEY_FILE;
  if (own) {
    addKeySource(await readSource(resolve(cwd, own), `${own} (SEALOPS_KEY_FILE)`), `${own} (SEALOPS_KEY_FILE)`, ring);
    ring.sources.push('SEALOPS_KEY_FILE');
  }
  const sops = await loadAgeIdentities({ env: { ...env, SEALOPS_KEY_FILE: undefined }, cwd, sopsDefault: ring.ageIdentities.length === 0 && ring.rsaKeys.length === 0 });
  for (const id of sops.identities) if (!ring.ageIdentities.includes(id)) ring.ageIdentities.push(id);
  ring.sources.push(...sops.sources);
  return ring;
}
