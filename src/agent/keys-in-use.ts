/**
 * Which key sets a Sync's sealed files need (`status.keysInUse`), and the decryption keys of a
 * reconcile loaded set by set. `keys retire` reads `keysInUse` to refuse removing a set that a
 * Sync still opens its files with.
 *
 * A file is counted for the newest set that opens it, as decryption tries the newest set first:
 * a file sealed to an old and a new set needs only the new one. SOPS files name their age
 * recipients in the clear; a SealedSecret names no key, so its first value's session key is
 * unwrapped with each set's RSA key, newest first (remembered by ciphertext digest, so a resync
 * pays nothing). Only fingerprints leave this module.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { hybridDecryptWith, scopeLabel } from '../crypto/rsa-oaep.js';
import { isSealedSecret, scopeFromAnnotations } from '../formats/sealedsecret/index.js';
import type { BuildInput, Manifest } from '../build/index.js';
import { SealopsError } from '../errors.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { decryptionKeysOf, listKeySets, malformedEntries, usableEntries, type LoadedKeySets, type StoredKeySet } from './keysets.js';
import { publicKeysOf } from './keys.js';
import { keySetFingerprint } from '../keys/fingerprint.js';
import { readSecretEntries } from './source/index.js';
import type { Logger } from './log.js';

/** The sets of a reconcile, as {@link decryptionKeysOf} loads them. */
export type KeySetsForUse = LoadedKeySets['sets'];

const RECIPIENT = /recipient["']?\s*[:=]\s*["']?(age1[0-9a-z]+)/g;
/** Which set opened a SealedSecret value, by the digest of its RSA block (public facts only). */
const sealedMemo = new Map<string, string | null>();
const MEMO_LIMIT = 10_000;

function recipientsIn(text: string): string[] {
  return [...text.matchAll(RECIPIENT)].map((m) => m[1]!);
}

function newestWithRecipient(recipients: readonly string[], sets: KeySetsForUse): string | undefined {
  // sets are newest first
  return sets.find((s) => s.recipients.some((r) => recipients.includes(r)))?.fingerprint;
}

function openerOfSealed(obj: Record<string, unknown>, sets: KeySetsForUse): string | undefined {
  const meta = (obj.metadata ?? {}) as { name?: string; namespace?: string; annotations?: Record<string, unknown> };
  const enc = (obj.spec as { encryptedData?: Record<string, unknown> } | undefined)?.encryptedData ?? {};
  const first = Object.keys(enc).sort()[0];
  const value = first === undefined ? undefined : enc[first];
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.from(value, 'base64');
  const label = scopeLabel(scopeFromAnnotations(meta.annotations), meta.namespace ?? '', meta.name ?? '');
  const memoKey = createHash('sha256').update(label).update('\0').update(bytes).update('\0').update(sets.map((s) => s.fingerprint).join(',')).digest('base64');
  if (sealedMemo.has(memoKey)) return sealedMemo.get(memoKey) ?? undefined;
  let found: string | undefined;
  for (const set of sets) {
    if (set.rsaKeys.some((k: KeyObject) => tryOpen(k, bytes, label))) {
      found = set.fingerprint;
      break;
    }
  }
  if (sealedMemo.size >= MEMO_LIMIT) sealedMemo.clear();
  sealedMemo.set(memoKey, found ?? null);
  return found;
}

function tryOpen(key: KeyObject, bytes: Buffer, label: Buffer): boolean {
  try {
    const plain = hybridDecryptWith(key, bytes, label);
    plain?.fill(0);
    return plain !== null;
  } catch {
    return false;
  }
}

/**
 * The fingerprints of the sets that open the sealed inputs of a build, sorted: SOPS objects and
 * sealed dotenv sources by their recipients, SealedSecrets by trial. `manifests` are the built
 * objects before decryption (final names and namespaces).
 */
export function keysInUse(build: { readonly manifests: readonly Manifest[]; readonly sources: readonly BuildInput[] }, sets: KeySetsForUse): string[] {
  const used = new Set<string>();
  const add = (fp: string | undefined): void => void (fp && used.add(fp));
  for (const m of build.manifests) {
    const obj = m.object as Record<string, unknown>;
    if ('sops' in obj) add(newestWithRecipient(recipientsIn(JSON.stringify(obj.sops)), sets));
    else if (isSealedSecret(obj)) add(openerOfSealed(obj, sets));
  }
  for (const src of build.sources) {
    // Generator inputs (dotenv, whole files) are not objects of the build: read their metadata.
    if (src.content.indexOf('ENC[AES256_GCM,') < 0 || src.content.indexOf('kind:') >= 0 || src.content.indexOf('"kind"') >= 0) continue;
    add(newestWithRecipient(recipientsIn(src.content.toString('utf8')), sets));
  }
  return [...used].sort();
}

/**
 * The decryption keys of a Sync: the Secret it names (in its own namespace, read as its own
 * account), else every key set of the agent's namespace, newest first. Malformed entries are
 * skipped and returned by name. Throws a KEY error when no Secret can be read.
 */
export async function loadSyncKeySets(reader: KubeClient, namespace: string, secretName: string | undefined): Promise<LoadedKeySets> {
  let sets: StoredKeySet[];
  const where = secretName ? `secret ${namespace}/${secretName}` : `the key sets of namespace ${namespace}`;
  try {
    if (secretName) {
      const entries = await readSecretEntries(reader, namespace, secretName);
      const malformed = malformedEntries(entries);
      const keys = await publicKeysOf(usableEntries(entries, malformed));
      sets = [{ name: secretName, fingerprint: keySetFingerprint(keys), createdAt: new Date(0).toISOString(), entries, malformed, ...keys }];
    } else {
      sets = await listKeySets(reader, namespace);
      if (sets.length === 0) throw new KubeApiError(404, 'NotFound', 'no key set');
    }
  } catch (err) {
    const why = err instanceof KubeApiError && err.status === 404 ? 'not found' : 'could not be read';
    throw new SealopsError('KEY', `failed to load decryption keys from ${where}: ${why}`, { cause: err });
  }
  return decryptionKeysOf(sets);
}

/** Entries already reported, per Sync: one Event per malformed entry, not one per reconcile. */
const reported = new Set<string>();

/**
 * Tells about each malformed entry the keys of a reconcile skipped: a warning in the log every
 * time, and a Warning Event (through `event`) the first time this process sees it for the Sync.
 * Names the Secret and the entry, never its content.
 */
export async function reportMalformedKeys(loaded: LoadedKeySets, sync: { metadata: { uid?: string; namespace: string; name: string } }, log: Logger, event: (note: string) => Promise<void>): Promise<void> {
  for (const { secret, entry } of loaded.malformed) {
    const note = `skipped malformed entry ${entry} of key Secret ${secret}; the other keys are used`;
    log.warn('skipped a malformed entry of a key Secret', { secret, entry });
    const key = `${sync.metadata.uid ?? `${sync.metadata.namespace}/${sync.metadata.name}`}\0${secret}\0${entry}`;
    if (reported.has(key)) continue;
    reported.add(key);
    await event(note).catch(() => undefined);
  }
}
