/**
 * The cluster's key sets, as the storage contract of #14 lays them out: each set is a Secret in
 * the agent's namespace labelled `sealops.dev/key-set: "true"` and `sealops.dev/fingerprint`,
 * annotated `sealops.dev/created-at`; the first set may be the unlabelled `sealops-keys` Secret
 * (its creation time is then the Secret's creationTimestamp). The newest set is `active`, the
 * others `previous` (kept to decrypt what is still sealed to them); a set whose Secret is gone
 * but which the public ConfigMap's `keysets.json` still lists is `retired` (public halves only).
 *
 * A malformed entry of a key Secret is skipped and named (never quoted), so one bad paste does
 * not take every other key of the cluster down with it.
 */
import { checkPqIdentity, checkX25519Identity } from '../crypto/age-x25519.js';
import { keySetFingerprint } from '../keys/fingerprint.js';
import type { PublicKeySet } from '../keys/config-write.js';
import { parseAgeIdentities } from '../keys/age-keys.js';
import { loadRsaPrivateKeys } from '../keys/index.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import type { KeyObject } from 'node:crypto';
import { publicKeysOf, KEYS_SECRET_NAME, PUBLIC_KEYS_CONFIGMAP_NAME, type PublicKeys } from './keys.js';
import type { Logger } from './log.js';

/** Label marking a Secret as a cluster key set. */
export const KEY_SET_LABEL = 'sealops.dev/key-set';
/** Label holding a key set's fingerprint. */
export const FINGERPRINT_LABEL = 'sealops.dev/fingerprint';
/** Annotation holding a key set's creation time (RFC 3339). */
export const CREATED_AT_ANNOTATION = 'sealops.dev/created-at';
/** ConfigMap annotation stamped by `keys backup`. */
export const LAST_BACKUP_ANNOTATION = 'sealops.dev/last-backup';
/** ConfigMap annotation set by `keys rotate`: the leader makes a new set unless a set already answers it. */
export const ROTATE_REQUEST_ANNOTATION = 'sealops.dev/rotate-requested';
/** Key-set annotation: the rotation request (its value) the set was made for. */
export const ANSWERS_REQUEST_ANNOTATION = 'sealops.dev/rotate-request';

/** One key set's entry of `keysets.json` (and of `GET /v1/keysets`). */
export interface KeySetInfo extends PublicKeySet {
  readonly retiredAt?: string;
}

/** A key set read from its Secret. */
export interface StoredKeySet extends PublicKeys {
  /** Name of the Secret. */
  readonly name: string;
  readonly fingerprint: string;
  readonly createdAt: string;
  /** The Secret's entries (private: never print them). */
  readonly entries: Readonly<Record<string, string>>;
  /** Entries skipped because they do not parse (names only). */
  readonly malformed: readonly string[];
  /** The `keys rotate` request this set was made for, if any. */
  readonly answers?: string;
}

interface SecretObject {
  metadata: { name: string; creationTimestamp?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

/** The Secrets collection of `namespace`. */
export function secretsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
}

function decodeEntries(s: SecretObject): Record<string, string> {
  return Object.fromEntries(Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
}

/**
 * The names of the entries that hold no usable key: an `.agekey` entry whose identities do not
 * parse or only look like identities, a `.pem` entry with no readable private key.
 */
export function malformedEntries(entries: Readonly<Record<string, string>>): string[] {
  const bad: string[] = [];
  for (const [name, text] of Object.entries(entries)) {
    try {
      if (name.endsWith('.agekey')) {
        const ids = parseAgeIdentities(text, `entry ${name}`);
        if (ids.length === 0) throw new Error('no identity');
        for (const id of ids) (id.startsWith('AGE-SECRET-KEY-PQ-1') ? checkPqIdentity : checkX25519Identity)(id);
      } else if (name.endsWith('.pem')) {
        if (loadRsaPrivateKeys(text).length === 0) throw new Error('no key');
      }
    } catch {
      bad.push(name);
    }
  }
  return bad.sort();
}

/** The entries without the malformed ones. */
export function usableEntries(entries: Readonly<Record<string, string>>, malformed: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(entries).filter(([k]) => !malformed.includes(k)));
}

async function toKeySet(s: SecretObject): Promise<StoredKeySet> {
  const entries = decodeEntries(s);
  const malformed = malformedEntries(entries);
  const keys = await publicKeysOf(usableEntries(entries, malformed));
  const labelled = s.metadata.labels?.[FINGERPRINT_LABEL];
  const fingerprint = labelled && /^ks-[0-9a-f]{16}$/.test(labelled) ? labelled : keySetFingerprint(keys);
  const createdAt = s.metadata.annotations?.[CREATED_AT_ANNOTATION] ?? s.metadata.creationTimestamp ?? new Date(0).toISOString();
  const answers = s.metadata.annotations?.[ANSWERS_REQUEST_ANNOTATION];
  return { name: s.metadata.name, fingerprint, createdAt, entries, malformed, ...keys, ...(answers ? { answers } : {}) };
}

/** Oldest first; ties by name, so every replica sees the same order. */
function byAge(a: StoredKeySet, b: StoredKeySet): number {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  if (ta !== tb) return ta - tb;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * Every key set of `namespace`, oldest first (the newest, last, is the active one): the labelled
 * Secrets and `sealops-keys`. Throws a KubeApiError when the Secrets cannot be read.
 */
export async function listKeySets(client: KubeClient, namespace: string, legacyName = KEYS_SECRET_NAME): Promise<StoredKeySet[]> {
  const list = await client.request<{ items?: SecretObject[] }>('GET', secretsPath(namespace), { query: { labelSelector: `${KEY_SET_LABEL}=true` } });
  const items = [...(list.items ?? [])];
  if (!items.some((s) => s.metadata.name === legacyName)) {
    try {
      items.push(await client.request<SecretObject>('GET', `${secretsPath(namespace)}/${encodeURIComponent(legacyName)}`));
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    }
  }
  return (await Promise.all(items.map(toKeySet))).sort(byAge);
}

/** The body of a new key-set Secret. */
export function keySetSecret(name: string, entries: Readonly<Record<string, string>>, fingerprint: string, createdAt: string, answers?: string): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name,
      labels: { 'app.kubernetes.io/managed-by': 'sealops', [KEY_SET_LABEL]: 'true', [FINGERPRINT_LABEL]: fingerprint },
      annotations: { [CREATED_AT_ANNOTATION]: createdAt, ...(answers ? { [ANSWERS_REQUEST_ANNOTATION]: answers } : {}) },
    },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
  };
}

/**
 * `keysets.json`: the stored sets (newest `active`, the others `previous`) and, from the
 * previous listing, every set whose Secret is gone, as `retired` (its `retiredAt` kept, or now).
 */
export function keySetListing(sets: readonly StoredKeySet[], previous: readonly KeySetInfo[], now: Date = new Date()): KeySetInfo[] {
  const live = new Set(sets.map((s) => s.fingerprint));
  const retired = previous
    .filter((p) => !live.has(p.fingerprint))
    .map((p): KeySetInfo => ({ fingerprint: p.fingerprint, createdAt: p.createdAt, recipients: p.recipients, certificates: p.certificates, state: 'retired', retiredAt: p.retiredAt ?? now.toISOString() }));
  const current = sets.map((s, i): KeySetInfo => ({ fingerprint: s.fingerprint, createdAt: s.createdAt, recipients: s.recipients, certificates: s.certificates, state: i === sets.length - 1 ? 'active' : 'previous' }));
  const seen = new Set<string>();
  return [...retired, ...current]
    .filter((k) => (seen.has(k.fingerprint) ? false : (seen.add(k.fingerprint), true)))
    .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
}

/** Parses `keysets.json`; anything that is not a list of entries reads as none. */
export function parseKeySetListing(text: string | undefined): KeySetInfo[] {
  if (!text) return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return [];
  }
  if (!Array.isArray(raw)) return [];
  const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  const out: KeySetInfo[] = [];
  for (const e of raw as Record<string, unknown>[]) {
    if (typeof e !== 'object' || e === null || typeof e.fingerprint !== 'string' || typeof e.createdAt !== 'string') continue;
    const state = e.state === 'active' || e.state === 'previous' || e.state === 'retired' ? e.state : 'previous';
    out.push({ fingerprint: e.fingerprint, createdAt: e.createdAt, recipients: strings(e.recipients), certificates: strings(e.certificates), state, ...(typeof e.retiredAt === 'string' ? { retiredAt: e.retiredAt } : {}) });
  }
  return out;
}

/** The public ConfigMap as read: its data and annotations (empty when it does not exist). */
export async function readPublicConfigMap(client: KubeClient, namespace: string, name = PUBLIC_KEYS_CONFIGMAP_NAME): Promise<{ exists: boolean; data: Record<string, string>; annotations: Record<string, string>; resourceVersion?: string }> {
  try {
    const cm = await client.request<{ data?: Record<string, string>; metadata?: { annotations?: Record<string, string>; resourceVersion?: string } }>(
      'GET',
      `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`,
    );
    return { exists: true, data: cm.data ?? {}, annotations: cm.metadata?.annotations ?? {}, ...(cm.metadata?.resourceVersion ? { resourceVersion: cm.metadata.resourceVersion } : {}) };
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return { exists: false, data: {}, annotations: {} };
    throw err;
  }
}

/** Decryption keys of the sets, tagged with the set each key belongs to (newest set first). */
export interface LoadedKeySets {
  readonly ageIdentities: string[];
  readonly rsaKeys: KeyObject[];
  /** Per set: its fingerprint, its recipients and its RSA keys (to tell which set opens what). */
  readonly sets: { fingerprint: string; recipients: readonly string[]; rsaKeys: KeyObject[] }[];
  /** Every entry's text, for redaction. */
  readonly secrets: string[];
  /** Entries skipped as malformed, by Secret. */
  readonly malformed: { secret: string; entry: string }[];
}

/**
 * Decryption keys from key sets, newest set first (a file sealed to several sets opens with the
 * newest, so an old set counts as in use only for what nothing newer opens). Malformed entries
 * are skipped and listed; `log` is told about each (Secret and entry names only).
 */
export function decryptionKeysOf(sets: readonly StoredKeySet[], log?: Logger): LoadedKeySets {
  const out: LoadedKeySets = { ageIdentities: [], rsaKeys: [], sets: [], secrets: [], malformed: [] };
  for (const set of [...sets].reverse()) {
    const rsaKeys: KeyObject[] = [];
    for (const [name, text] of Object.entries(set.entries).sort(([a], [b]) => (a < b ? -1 : 1))) {
      out.secrets.push(text);
      if (set.malformed.includes(name)) continue;
      if (name.endsWith('.agekey')) out.ageIdentities.push(...parseAgeIdentities(text));
      else if (name.endsWith('.pem')) rsaKeys.push(...loadRsaPrivateKeys(text));
    }
    for (const entry of set.malformed) {
      out.malformed.push({ secret: set.name, entry });
      log?.warn('skipped a malformed entry of a key Secret', { secret: set.name, entry });
    }
    out.rsaKeys.push(...rsaKeys);
    out.sets.push({ fingerprint: set.fingerprint, recipients: set.recipients, rsaKeys });
  }
  return out;
}
