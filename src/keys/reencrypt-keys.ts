/**
 * The keys of a SealedSecret re-encryption, from the cluster's key sets: every RSA key of every
 * set kept opens old values, and the newest set's key seals the new ones. The agent feeds every
 * set it keeps (`listKeySets`: the labelled Secrets and `sealops-keys`, with creation times).
 */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { rsaFingerprint } from '../crypto/rsa-fingerprint.js';
import { KeyError } from '../errors.js';
import type { ReencryptKeys } from '../formats/sealedsecret/reencrypt.js';
import { loadRsaPrivateKeys } from './rsa-private.js';

/** One cluster key set as stored: its Secret's entries (`*.pem`, `*.crt`, `*.agekey`). */
export interface KeySetEntries {
  /** How messages name the set (the Secret's name). */
  readonly name: string;
  readonly entries: Readonly<Record<string, string>>;
  /** RFC 3339 creation time; a set without one counts as older than any set with one. */
  readonly createdAt?: string;
}

/** {@link ReencryptKeys} plus which set seals and entries that were skipped. */
export interface LoadedReencryptKeys extends ReencryptKeys {
  /** The set whose key seals (the newest). */
  readonly newest: string;
  /** `SHA256:` fingerprint of the sealing key. */
  readonly encryptFingerprint: string;
  /** Entries that are not readable RSA keys, as `set/entry` (never their content). */
  readonly skipped: readonly string[];
}

function newestIndex(sets: readonly KeySetEntries[]): number {
  let best = 0;
  sets.forEach((s, i) => {
    const a = Date.parse(s.createdAt ?? '') || 0;
    const b = Date.parse(sets[best]!.createdAt ?? '') || 0;
    if (a >= b) best = i; // ties: the later in the list
  });
  return best;
}

/**
 * Loads the re-encryption keys of `sets`. A malformed `.pem` entry is skipped and named in
 * `skipped`; the other keys still work. Throws {@link KeyError} when there is no set, when the
 * newest set holds no RSA key, or when its certificate does not belong to its key (a sealed
 * value the cluster could never open must not be written).
 */
export function loadReencryptKeys(sets: readonly KeySetEntries[]): LoadedReencryptKeys {
  if (sets.length === 0) throw new KeyError('failed to load the cluster keys: no key set found');
  const decrypt: KeyObject[] = [];
  const skipped: string[] = [];
  const bySet = sets.map((set) => {
    const keys: KeyObject[] = [];
    for (const [entry, text] of Object.entries(set.entries).sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!entry.endsWith('.pem')) continue;
      try {
        keys.push(...loadRsaPrivateKeys(text, `${set.name}/${entry}`));
      } catch {
        skipped.push(`${set.name}/${entry}`);
      }
    }
    decrypt.push(...keys);
    return keys;
  });
  const n = newestIndex(sets);
  const newest = sets[n]!;
  const own = bySet[n]!;
  if (own.length === 0) throw new KeyError(`failed to load the cluster keys: the newest key set ${newest.name} holds no readable RSA key`);
  // The published certificate names the key people seal to; without one, the set's last key.
  const ownPublic = own.map((k) => createPublicKey(k));
  let encrypt = ownPublic[ownPublic.length - 1]!;
  for (const [entry, text] of Object.entries(newest.entries)) {
    if (!entry.endsWith('.crt')) continue;
    let certKey: string;
    try {
      certKey = rsaFingerprint(new X509Certificate(text).publicKey);
    } catch {
      continue;
    }
    const match = ownPublic.find((k) => rsaFingerprint(k) === certKey);
    if (!match) throw new KeyError(`failed to load the cluster keys: the certificate ${newest.name}/${entry} does not belong to any RSA key of that set`);
    encrypt = match;
  }
  return { decrypt, encrypt, newest: newest.name, encryptFingerprint: rsaFingerprint(encrypt), skipped };
}
