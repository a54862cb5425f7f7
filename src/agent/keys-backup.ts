/**
 * Backup and restore of a cluster's key sets (`sealops keys backup`, `keys restore`).
 *
 * The backup is one age file (armored) encrypted to administrators' age recipients, holding a
 * JSON bundle of every key set: Secret name, fingerprint, creation time and entries. It is safe
 * to keep anywhere, git included. Taking one stamps `sealops.dev/last-backup` on the public
 * ConfigMap, so `keys list --check` can say when the newest set is not in any backup.
 *
 * Restore checks everything before writing anything: the file opens with the given identity
 * (wrong recipient, truncated or tampered files are refused by the age header MAC and the
 * payload's authenticated chunks), every set's entries match its fingerprint, and no existing
 * Secret of the same name holds a different set (unless forced). Then it creates the Secrets.
 */
import { KeyError, InputError, describe } from '../errors.js';
import { armorAge, dearmorAge, decryptPayload, encryptX25519, parseAgeFile, unwrapX25519, decodeX25519Recipient } from '../crypto/age-x25519.js';
import { keySetFingerprint } from '../keys/fingerprint.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { kubeFailure, publicKeysOf, PUBLIC_KEYS_CONFIGMAP_NAME } from './keys.js';
import { keySetSecret, LAST_BACKUP_ANNOTATION, listKeySets, malformedEntries, secretsPath, type StoredKeySet } from './keysets.js';

const BUNDLE_KIND = 'sealops-key-backup';

interface BundleSet {
  name: string;
  fingerprint: string;
  createdAt: string;
  entries: Record<string, string>;
}

/** What {@link backupKeySets} made. */
export interface BackupResult {
  /** The armored age file. */
  readonly armored: string;
  /** Fingerprints of the sets inside, oldest first. */
  readonly fingerprints: readonly string[];
  readonly time: string;
}

/**
 * Encrypts every key set of `namespace` to `recipients` (age X25519) and stamps the ConfigMap's
 * `sealops.dev/last-backup`. Throws before anything is returned when the stamp cannot be written.
 */
export async function backupKeySets(client: KubeClient, namespace: string, recipients: readonly string[], options: { now?: () => Date } = {}): Promise<BackupResult> {
  if (recipients.length === 0) throw new KeyError('failed to back up key sets: give at least one age recipient (--to age1…)');
  for (const r of recipients) {
    try {
      decodeX25519Recipient(r);
    } catch (err) {
      throw new KeyError(`failed to back up key sets: recipient "${r.slice(0, 80)}" is not an age X25519 recipient: ${describe(err)}`);
    }
  }
  let sets;
  try {
    sets = await listKeySets(client, namespace);
  } catch (err) {
    throw kubeFailure(`read key sets in namespace ${namespace}`, err, []);
  }
  if (sets.length === 0) throw new KeyError(`failed to back up key sets: namespace ${namespace} holds none`);
  const time = (options.now?.() ?? new Date()).toISOString();
  const bundle = Buffer.from(
    JSON.stringify({ kind: BUNDLE_KIND, version: 1, namespace, time, sets: sets.map((s): BundleSet => ({ name: s.name, fingerprint: s.fingerprint, createdAt: s.createdAt, entries: { ...s.entries } })) }),
    'utf8',
  );
  let armored: string;
  try {
    armored = armorAge(encryptX25519(bundle, recipients));
  } finally {
    bundle.fill(0);
  }
  const fingerprints = sets.map((s) => s.fingerprint);
  try {
    await client.request('PATCH', `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${PUBLIC_KEYS_CONFIGMAP_NAME}`, {
      body: { metadata: { annotations: { [LAST_BACKUP_ANNOTATION]: JSON.stringify({ time, fingerprints }) } } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'sealops-keys' },
    });
  } catch (err) {
    throw kubeFailure(`record the backup on configmap ${namespace}/${PUBLIC_KEYS_CONFIGMAP_NAME}`, err, []);
  }
  return { armored, fingerprints, time };
}

/** Opens a backup with `identities`; throws a clear error for a wrong recipient or a damaged file. */
export async function openBackup(input: Uint8Array, identities: readonly string[]): Promise<BundleSet[]> {
  const text = Buffer.from(input).toString('latin1');
  let file;
  try {
    file = parseAgeFile(text.trimStart().startsWith('-----BEGIN AGE ENCRYPTED FILE-----') ? dearmorAge(text) : input);
  } catch (err) {
    throw new InputError(`failed to read backup: not an age file, or truncated (${describe(err)})`);
  }
  const x25519 = identities.filter((i) => i.startsWith('AGE-SECRET-KEY-1'));
  if (x25519.length === 0) throw new KeyError('failed to open backup: no age identity given', { hint: 'pass the administrator identity the backup was made for with -k FILE' });
  let fileKey;
  try {
    fileKey = unwrapX25519(file.stanzas, x25519);
  } catch (err) {
    throw new InputError(`failed to read backup: damaged recipient stanza (${describe(err)})`);
  }
  if (!fileKey) throw new KeyError('failed to open backup: it is not encrypted to the given identity (a backup for another recipient?)');
  let plain: Buffer;
  try {
    plain = decryptPayload(file, fileKey);
  } catch (err) {
    throw new InputError(`failed to read backup: truncated or tampered (${describe(err)})`);
  }
  try {
    return await parseBundle(plain.toString('utf8'));
  } finally {
    plain.fill(0);
  }
}

async function parseBundle(json: string): Promise<BundleSet[]> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new InputError('failed to read backup: the decrypted content is not a sealops key backup');
  }
  const b = raw as { kind?: unknown; version?: unknown; sets?: unknown };
  if (b.kind !== BUNDLE_KIND || b.version !== 1 || !Array.isArray(b.sets)) throw new InputError('failed to read backup: the decrypted content is not a sealops key backup (version 1)');
  const out: BundleSet[] = [];
  for (const [i, s] of (b.sets as Record<string, unknown>[]).entries()) {
    const entries = s.entries as Record<string, unknown> | undefined;
    if (typeof s.name !== 'string' || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(s.name) || typeof s.fingerprint !== 'string' || typeof s.createdAt !== 'string' || typeof entries !== 'object' || entries === null || Object.values(entries).some((v) => typeof v !== 'string')) {
      throw new InputError(`failed to read backup: set ${i + 1} is malformed`);
    }
    const clean = entries as Record<string, string>;
    const actual = keySetFingerprint(await publicKeysOf(Object.fromEntries(Object.entries(clean).filter(([k]) => !malformedEntries(clean).includes(k)))));
    // An unlabelled first set may have been listed under a computed fingerprint: both agree.
    if (actual !== s.fingerprint) throw new InputError(`failed to read backup: set ${s.name} does not match its fingerprint ${s.fingerprint}`);
    out.push({ name: s.name, fingerprint: s.fingerprint, createdAt: s.createdAt, entries: clean });
  }
  if (out.length === 0) throw new InputError('failed to read backup: it holds no key set');
  return out;
}

/** Creates `namespace` when it does not exist: a restore into a fresh cluster comes before `sealops install`. */
async function ensureNamespace(client: KubeClient, namespace: string): Promise<void> {
  try {
    await client.request('POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
  } catch (err) {
    if (!(err instanceof KubeApiError && (err.status === 409 || err.status === 403))) throw kubeFailure(`create namespace ${namespace}`, err, []);
  }
}

/** What {@link restoreKeySets} did, per set. */
export interface RestoreResult {
  readonly created: readonly string[];
  readonly unchanged: readonly string[];
  readonly replaced: readonly string[];
}

/**
 * Puts the sets of a backup into `namespace` (created when missing) as key-set Secrets (create only). A set already
 * there (same fingerprint) is left alone; a Secret of the same name holding another set is a
 * conflict, refused before anything is written unless `force` (then it is replaced).
 */
export async function restoreKeySets(client: KubeClient, namespace: string, input: Uint8Array, identities: readonly string[], options: { force?: boolean } = {}): Promise<RestoreResult> {
  const bundle = await openBackup(input, identities);
  const privates = bundle.flatMap((s) => Object.values(s.entries));
  let existing: StoredKeySet[];
  try {
    existing = await listKeySets(client, namespace);
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 404)) throw kubeFailure(`read key sets in namespace ${namespace}`, err, privates);
    existing = [];
  }
  const plan: { set: BundleSet; action: 'create' | 'unchanged' | 'replace' }[] = [];
  const conflicts: string[] = [];
  for (const set of bundle) {
    const sameName = existing.find((e) => e.name === set.name);
    if (existing.some((e) => e.fingerprint === set.fingerprint)) plan.push({ set, action: 'unchanged' });
    else if (sameName) {
      conflicts.push(`${namespace}/${set.name} holds ${sameName.fingerprint}, the backup ${set.fingerprint}`);
      plan.push({ set, action: 'replace' });
    } else plan.push({ set, action: 'create' });
  }
  if (conflicts.length > 0 && !options.force) {
    throw new KeyError(`failed to restore key sets: ${conflicts.join('; ')}`, { hint: 'nothing was written; pass --force to replace them (their keys are lost unless backed up)' });
  }
  if (plan.some((p) => p.action !== 'unchanged')) await ensureNamespace(client, namespace);
  const path = secretsPath(namespace);
  const result = { created: [] as string[], unchanged: [] as string[], replaced: [] as string[] };
  for (const { set, action } of plan) {
    const body = keySetSecret(set.name, set.entries, set.fingerprint, set.createdAt);
    try {
      if (action === 'create') await client.request('POST', path, { body });
      else if (action === 'replace') await client.request('PUT', `${path}/${encodeURIComponent(set.name)}`, { body });
    } catch (err) {
      throw kubeFailure(`restore key set ${set.fingerprint} into secret ${namespace}/${set.name}`, err, privates);
    }
    (action === 'create' ? result.created : action === 'replace' ? result.replaced : result.unchanged).push(set.fingerprint);
  }
  return result;
}
