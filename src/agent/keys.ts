/**
 * The cluster key sets: the first made by the agent when there is none, later ones on rotation,
 * and the public halves of the newest published for the people who seal (a ConfigMap and the
 * agent's HTTP endpoint); see keysets.ts for the storage contract.
 *
 * A key Secret is created, never written afterwards: a Secret that exists (made by
 * `sealops keygen`, restored from a backup, or created by another replica a moment earlier)
 * is read as it is, so no key a repository was sealed for can be lost by the agent.
 * Only certificates stored as `.crt` entries are published: a certificate is not derived from
 * a `.pem` key, because a self-signed certificate made here would differ from the one the
 * repository's users already hold (new serial and validity) for no gain.
 */
import { X509Certificate } from 'node:crypto';
import { KubeError, describe, redact } from '../errors.js';
import { generateAgeKeyPair, ageRecipientOf } from '../crypto/age.js';
import { formatAgeKeyFile, parseAgeIdentities } from '../keys/age-keys.js';
import { generateRsaKeyPair } from '../keys/rsa-keygen.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import type { Logger } from './log.js';
import { keySetFingerprint } from '../keys/fingerprint.js';
import { keySetListing, keySetSecret, listKeySets, parseKeySetListing, readPublicConfigMap, ROTATE_REQUEST_ANNOTATION, secretsPath, type KeySetInfo, type StoredKeySet } from './keysets.js';
import { DEFAULT_KEYS_SECRET } from './sync.js';

/** Name of the keys Secret in the agent's namespace (the Sync's default decryption Secret). */
export const KEYS_SECRET_NAME = DEFAULT_KEYS_SECRET;
/** Name of the ConfigMap holding the public halves. */
export const PUBLIC_KEYS_CONFIGMAP_NAME = 'sealops-public-keys';
/** Common name of the certificate the agent makes. */
export const CLUSTER_CERT_COMMON_NAME = 'sealops';

/** The public halves of a key set: what sealing needs, nothing that decrypts. */
export interface PublicKeys {
  /** age recipients (`age1…`), one per `.agekey` identity, in entry order, without duplicates. */
  readonly recipients: readonly string[];
  /** `CERTIFICATE` PEM blocks of the `.crt` entries, in entry order. */
  readonly certificates: readonly string[];
}

/** Options of {@link ensureClusterKeys}. */
export interface EnsureClusterKeysOptions {
  /** Create the first key set when there is none, and rotate when due (default false: read only). */
  readonly generate?: boolean;
  /** Server-side apply the public ConfigMap (default: same as `generate`; followers only read). */
  readonly publish?: boolean;
  readonly log?: Logger;
  /** Name of the first key set's Secret (default `sealops-keys`); later sets are named after it. */
  readonly secretName?: string;
  readonly configMapName?: string;
  /** RSA modulus size (default 4096; tests may use 2048). */
  readonly rsaBits?: number;
  /** Certificate validity in days (default 3650, as the sealed-secrets controller). */
  readonly days?: number;
  /** Make a new set when the newest is older than this (milliseconds; 0 or absent: never by age). */
  readonly rotationMs?: number;
  /** The clock (tests). */
  readonly now?: () => Date;
}

/** What {@link ensureClusterKeys} found or made. */
export interface ClusterKeysResult extends PublicKeys {
  /** A key set exists (made now or before). */
  readonly found: boolean;
  /** This call created the first set. */
  readonly created: boolean;
  /** This call made a new set by rotation. */
  readonly rotated: boolean;
  /** Every set, with its state (what `keysets.json` holds). */
  readonly keySets: readonly KeySetInfo[];
}

type Entries = Record<string, string>;

/** The entries of a new key set: `cluster.agekey`, `cluster.pem` (PKCS#1 key), `cluster.crt`. */
export async function generateClusterKeyEntries(options: { rsaBits?: number; days?: number; now?: Date } = {}): Promise<Entries> {
  const now = options.now ?? new Date();
  const age = await generateAgeKeyPair();
  const rsa = await generateRsaKeyPair({ commonName: CLUSTER_CERT_COMMON_NAME, bits: options.rsaBits ?? 4096, days: options.days ?? 3650, notBefore: now });
  return {
    'cluster.agekey': formatAgeKeyFile(age.identity, age.recipient, now),
    'cluster.pem': rsa.privateKeyPem,
    'cluster.crt': rsa.certificatePem,
  };
}

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----/g;

/**
 * The public halves of the entries of a keys Secret. An entry that cannot be read is skipped
 * with a warning naming the entry only (the decrypt stage reports it when it matters); from a
 * `.crt` entry only `CERTIFICATE` blocks that parse are taken, so a key pasted there by mistake
 * is never published.
 */
export async function publicKeysOf(entries: Readonly<Entries>, log?: Logger): Promise<PublicKeys> {
  const recipients: string[] = [];
  const certificates: string[] = [];
  for (const [name, text] of Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (name.endsWith('.agekey')) {
      try {
        for (const id of parseAgeIdentities(text, `entry ${name}`)) {
          const r = await ageRecipientOf(id);
          if (!recipients.includes(r)) recipients.push(r);
        }
      } catch {
        // The cause may quote the identity: name the entry only.
        log?.warn('skipped a keys entry that is not an age identity file', { entry: name });
      }
    } else if (name.endsWith('.crt')) {
      const blocks = text.match(CERT_BLOCK) ?? [];
      for (const pem of blocks) {
        try {
          new X509Certificate(pem);
          certificates.push(`${pem.replace(/\r\n/g, '\n')}\n`);
        } catch {
          log?.warn('skipped a certificate that does not parse', { entry: name });
        }
      }
      if (blocks.length === 0) log?.warn('skipped a .crt entry without a certificate', { entry: name });
    }
  }
  return { recipients, certificates };
}

/** A KubeError that says what failed and why (status and reason), redacted against `secrets`. */
export function kubeFailure(what: string, err: unknown, secrets: readonly string[]): KubeError {
  const why = err instanceof KubeApiError ? `${err.reason} (HTTP ${err.status}): ${describe(err)}` : describe(err);
  // No cause attached: a response body could echo what was sent.
  return new KubeError(redact(`failed to ${what}: ${why}`, secrets));
}

/** The ConfigMap's data: `recipients.txt` and `cert.pem` of the newest set, and `keysets.json` of every set. */
export function publicKeysConfigMapData(keys: PublicKeys, keySets?: readonly KeySetInfo[]): Record<string, string> {
  return {
    'recipients.txt': keys.recipients.map((r) => `${r}\n`).join(''),
    'cert.pem': keys.certificates.join(''),
    ...(keySets ? { 'keysets.json': `${JSON.stringify(keySets, null, 2)}\n` } : {}),
  };
}

/**
 * Creates a key-set Secret with fresh keys (create only). Returns false when a Secret of that
 * name already exists: another replica made it first, and theirs is the set.
 */
async function createKeySet(client: KubeClient, namespace: string, name: string, options: EnsureClusterKeysOptions, now: Date, answers?: string): Promise<boolean> {
  const fresh = await generateClusterKeyEntries({ rsaBits: options.rsaBits, days: options.days, now });
  const privates = [fresh['cluster.agekey']!, fresh['cluster.pem']!];
  const fingerprint = keySetFingerprint(await publicKeysOf(fresh));
  try {
    await client.request('POST', secretsPath(namespace), { body: keySetSecret(name, fresh, fingerprint, now.toISOString(), answers) });
    return true;
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 409) return false;
    throw kubeFailure(`create secret ${namespace}/${name}`, err, privates);
  }
}

/**
 * Why a new set is due now, if it is: a `keys rotate` request no set answers yet (compared by
 * value, not by time, so clocks of laptop and cluster need not agree), or the newest set's age.
 */
function rotationDue(sets: readonly StoredKeySet[], requested: string | undefined, rotationMs: number | undefined, now: Date): string | undefined {
  if (requested !== undefined && !sets.some((s) => s.answers === requested)) return 'requested';
  const created = Date.parse(sets[sets.length - 1]!.createdAt);
  if (rotationMs && rotationMs > 0 && now.getTime() - created >= rotationMs) return 'age';
  return undefined;
}

/**
 * Reads the key sets of `namespace`. With `generate` (the leader): creates the first set when
 * there is none, and a new one when rotation is due (by age, or asked by `keys rotate`), both
 * create-only under names every replica derives alike, so racing replicas make one set. With
 * `publish`: server-side applies the public ConfigMap (newest set's keys, `keysets.json`) when
 * it differs. Returns the newest set's public halves and the listing. Never modifies a key Secret.
 */
export async function ensureClusterKeys(client: KubeClient, namespace: string, options: EnsureClusterKeysOptions = {}): Promise<ClusterKeysResult> {
  const secretName = options.secretName ?? KEYS_SECRET_NAME;
  const cmName = options.configMapName ?? PUBLIC_KEYS_CONFIGMAP_NAME;
  const generate = options.generate ?? false;
  const publish = options.publish ?? generate;
  const now = options.now?.() ?? new Date();
  const list = async (): Promise<StoredKeySet[]> => {
    try {
      return await listKeySets(client, namespace, secretName);
    } catch (err) {
      throw kubeFailure(`read key sets in namespace ${namespace}`, err, []);
    }
  };
  let sets = await list();
  let cm: Awaited<ReturnType<typeof readPublicConfigMap>> = { exists: false, data: {}, annotations: {} };
  try {
    cm = await readPublicConfigMap(client, namespace, cmName);
  } catch (err) {
    if (publish) throw kubeFailure(`read configmap ${namespace}/${cmName}`, err, []);
  }
  let created = false;
  let rotated = false;
  if (generate && sets.length === 0) {
    created = await createKeySet(client, namespace, secretName, options, now);
    if (created) options.log?.info('generated the cluster key set', { secret: `${namespace}/${secretName}` });
    sets = await list();
  } else if (generate) {
    const newest = sets[sets.length - 1]!;
    const requested = cm.annotations[ROTATE_REQUEST_ANNOTATION];
    const why = rotationDue(sets, requested, options.rotationMs, now);
    if (why) {
      // Named after its predecessor: two replicas rotating from the same set collide on the name.
      const name = `${secretName}-after-${newest.fingerprint.slice(3)}`;
      rotated = await createKeySet(client, namespace, name, options, now, requested);
      sets = await list();
      if (rotated) options.log?.info('rotated the cluster key set', { secret: `${namespace}/${name}`, fingerprint: sets[sets.length - 1]?.fingerprint, why, previous: newest.fingerprint });
    }
  }
  const newest = sets[sets.length - 1];
  if (!newest) return { found: false, created: false, rotated: false, recipients: [], certificates: [], keySets: parseKeySetListing(cm.data['keysets.json']) };
  const malformed = sets.flatMap((set) => set.malformed.map((entry) => `${namespace}/${set.name}\0${entry}`));
  // Said once per change, not on every refresh.
  if (malformed.join('\n') !== reportedMalformed.get(namespace)) {
    reportedMalformed.set(namespace, malformed.join('\n'));
    for (const m of malformed) options.log?.warn('skipped a malformed entry of a key Secret', { secret: m.split('\0')[0], entry: m.split('\0')[1] });
  }
  const keySets = keySetListing(sets, parseKeySetListing(cm.data['keysets.json']), now);
  const data = publicKeysConfigMapData(newest, keySets);
  if (publish && !sameData(cm.data, data)) {
    try {
      await client.request('PATCH', `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(cmName)}`, {
        body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: cmName, namespace, labels: { 'app.kubernetes.io/managed-by': 'sealops' } }, data },
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: 'sealops', force: 'true' },
      });
    } catch (err) {
      throw kubeFailure(`publish configmap ${namespace}/${cmName}`, err, sets.flatMap((s) => Object.values(s.entries)));
    }
  }
  return { found: true, created, rotated, recipients: newest.recipients, certificates: newest.certificates, keySets };
}

/** Malformed entries last logged, by namespace. */
const reportedMalformed = new Map<string, string>();

function sameData(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
