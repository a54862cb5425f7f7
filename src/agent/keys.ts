/**
 * The cluster key set: made once by the agent when the keys Secret is missing, and its public
 * halves published for the people who seal (a ConfigMap and the agent's HTTP endpoint).
 *
 * The Secret is created, never written afterwards: a Secret that exists (made by
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
import { readSecretEntries } from './source/index.js';
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
  /** Create the Secret with a new key set when it does not exist (default false: read only). */
  readonly generate?: boolean;
  /** Server-side apply the public ConfigMap (default: same as `generate`; followers only read). */
  readonly publish?: boolean;
  readonly log?: Logger;
  readonly secretName?: string;
  readonly configMapName?: string;
  /** RSA modulus size (default 4096; tests may use 2048). */
  readonly rsaBits?: number;
  /** Certificate validity in days (default 3650, as the sealed-secrets controller). */
  readonly days?: number;
}

/** What {@link ensureClusterKeys} found or made. */
export interface ClusterKeysResult extends PublicKeys {
  /** The keys Secret exists (made now or before). */
  readonly found: boolean;
  /** This call created it. */
  readonly created: boolean;
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

function secretsPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
}

/** A KubeError that says what failed and why (status and reason), redacted against `secrets`. */
function kubeFailure(what: string, err: unknown, secrets: readonly string[]): KubeError {
  const why = err instanceof KubeApiError ? `${err.reason} (HTTP ${err.status}): ${describe(err)}` : describe(err);
  // No cause attached: a response body could echo what was sent.
  return new KubeError(redact(`failed to ${what}: ${why}`, secrets));
}

async function readSecret(client: KubeClient, namespace: string, name: string): Promise<Entries | undefined> {
  try {
    return await readSecretEntries(client, namespace, name);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return undefined;
    throw kubeFailure(`read secret ${namespace}/${name}`, err, []);
  }
}

/** The ConfigMap's data: `recipients.txt` (one per line) and `cert.pem` (concatenated PEM). */
export function publicKeysConfigMapData(keys: PublicKeys): Record<string, string> {
  return {
    'recipients.txt': keys.recipients.map((r) => `${r}\n`).join(''),
    'cert.pem': keys.certificates.join(''),
  };
}

/**
 * Reads the keys Secret of `namespace`; when it is missing and `generate` is set, creates it
 * with a new key set (create only: when another replica created it first, reads theirs).
 * When `publish` is set and the Secret exists, server-side applies the public ConfigMap.
 * Returns the public halves, for the HTTP endpoint. Never modifies an existing Secret.
 */
export async function ensureClusterKeys(client: KubeClient, namespace: string, options: EnsureClusterKeysOptions = {}): Promise<ClusterKeysResult> {
  const secretName = options.secretName ?? KEYS_SECRET_NAME;
  const generate = options.generate ?? false;
  const publish = options.publish ?? generate;
  let entries = await readSecret(client, namespace, secretName);
  let created = false;
  if (!entries && generate) {
    const fresh = await generateClusterKeyEntries({ rsaBits: options.rsaBits, days: options.days });
    const privates = [fresh['cluster.agekey']!, fresh['cluster.pem']!];
    try {
      await client.request('POST', secretsPath(namespace), {
        body: {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: secretName, labels: { 'app.kubernetes.io/managed-by': 'sealops' } },
          type: 'Opaque',
          data: Object.fromEntries(Object.entries(fresh).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')])),
        },
      });
      entries = fresh;
      created = true;
      options.log?.info('generated the cluster key set', { secret: `${namespace}/${secretName}` });
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 409)) throw kubeFailure(`create secret ${namespace}/${secretName}`, err, privates);
      // Another replica won the race: theirs is the key set.
      entries = await readSecret(client, namespace, secretName);
    }
  }
  if (!entries) return { found: false, created: false, recipients: [], certificates: [] };
  const keys = await publicKeysOf(entries, options.log);
  if (publish) {
    const cmName = options.configMapName ?? PUBLIC_KEYS_CONFIGMAP_NAME;
    try {
      await client.request('PATCH', `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(cmName)}`, {
        body: {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: cmName, namespace, labels: { 'app.kubernetes.io/managed-by': 'sealops' } },
          data: publicKeysConfigMapData(keys),
        },
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: 'sealops', force: 'true' },
      });
    } catch (err) {
      throw kubeFailure(`publish configmap ${namespace}/${cmName}`, err, Object.values(entries));
    }
  }
  return { found: true, created, ...keys };
}
