/**
 * The cluster side of `keys list`, read from the key-set storage contract with public data only:
 * the ConfigMap `sealops-public-keys` (`keysets.json`: every set with its creation time and
 * state; the `sealops.dev/last-backup` annotation written by `keys backup`) and the Syncs'
 * `status.keysInUse`. Nothing here reads a Secret.
 *
 * A cluster whose agent predates key sets has no `keysets.json`: its one set is then built from
 * `recipients.txt` and `cert.pem`, with its fingerprint computed and no known creation time.
 */
import { X509Certificate } from 'node:crypto';
import { rsaFingerprint } from '../crypto/rsa-fingerprint.js';
import { KubeError } from '../errors.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { isRecord } from '../util/record.js';
import { keySetFingerprint } from './fingerprint.js';

/** Name of the ConfigMap with the public halves (the agent's `PUBLIC_KEYS_CONFIGMAP_NAME`). */
const PUBLIC_KEYS_CONFIGMAP = 'sealops-public-keys';
/** Annotation `keys backup` writes on that ConfigMap. */
export const LAST_BACKUP_ANNOTATION = 'sealops.dev/last-backup';

/** One key set as the cluster publishes it. */
export interface ClusterKeySet {
  readonly fingerprint: string;
  /** RFC 3339; undefined when the cluster does not say. */
  readonly createdAt?: string;
  readonly state: 'active' | 'previous' | 'retired';
  readonly retiredAt?: string;
  readonly recipients: readonly string[];
  /** `SHA256:` fingerprints of the certificates' RSA keys. */
  readonly rsaKeys: readonly string[];
  /** Syncs (`namespace/name`) whose status lists this set in `keysInUse`. */
  readonly usedBy: readonly string[];
}

/** What one cluster publishes about its keys. */
export interface ClusterKeyView {
  /** The kubeconfig context read (or `(current)`). */
  readonly context: string;
  readonly namespace: string;
  readonly sets: readonly ClusterKeySet[];
  /** The last backup `keys backup` recorded, when any. */
  readonly backup?: { readonly time: string; readonly fingerprints: readonly string[] };
  /** Syncs whose `keysInUse` names a set the ConfigMap does not list. */
  readonly unknownInUse: readonly { readonly sync: string; readonly fingerprint: string }[];
  /** Things worth saying that are not problems (no Sync CRD, no keysets.json). */
  readonly notes: readonly string[];
}

interface ConfigMapObject {
  metadata?: { annotations?: Record<string, string> };
  data?: Record<string, string>;
}

interface SyncList {
  items?: { metadata?: { namespace?: string; name?: string }; status?: { keysInUse?: unknown } }[];
}

const CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function rsaKeysOf(pems: readonly string[]): string[] {
  const out: string[] = [];
  for (const block of pems.flatMap((p) => p.match(CERT) ?? [])) {
    try {
      out.push(rsaFingerprint(new X509Certificate(block).publicKey));
    } catch {
      // a certificate that does not parse names no key
    }
  }
  return out;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function parseKeySets(text: string, where: string): Omit<ClusterKeySet, 'usedBy'>[] {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new KubeError(`failed to read ${where} keysets.json: it is not JSON`);
  }
  if (!Array.isArray(raw)) throw new KubeError(`failed to read ${where} keysets.json: expected a list of key sets`);
  return raw.map((s, i) => {
    if (!isRecord(s) || typeof s.fingerprint !== 'string') throw new KubeError(`failed to read ${where} keysets.json: entry ${i + 1} has no fingerprint`);
    const state = s.state === 'previous' || s.state === 'retired' ? s.state : 'active';
    const certificates = strings(s.certificates);
    return {
      fingerprint: s.fingerprint,
      ...(typeof s.createdAt === 'string' ? { createdAt: s.createdAt } : {}),
      state,
      ...(typeof s.retiredAt === 'string' ? { retiredAt: s.retiredAt } : {}),
      recipients: strings(s.recipients),
      rsaKeys: rsaKeysOf(certificates),
    };
  });
}

function parseBackup(text: string | undefined): ClusterKeyView['backup'] {
  if (!text) return undefined;
  try {
    const b = JSON.parse(text) as unknown;
    if (isRecord(b) && typeof b.time === 'string') return { time: b.time, fingerprints: strings(b.fingerprints) };
  } catch {
    // an unreadable record counts as no backup
  }
  return undefined;
}

/** Reads what the cluster of `client` publishes about its keys, in the agent's `namespace`. */
export async function readClusterKeyView(client: KubeClient, namespace: string, context: string): Promise<ClusterKeyView> {
  const where = `configmap ${namespace}/${PUBLIC_KEYS_CONFIGMAP} (context ${context})`;
  let cm: ConfigMapObject;
  try {
    cm = await client.request<ConfigMapObject>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${PUBLIC_KEYS_CONFIGMAP}`);
  } catch (err) {
    const why = err instanceof KubeApiError ? (err.status === 404 ? 'not found' : `${err.reason} (HTTP ${err.status})`) : 'unreachable';
    throw new KubeError(`failed to read ${where}: ${why}`, { hint: 'is the agent installed there? pass --namespace with its namespace' });
  }
  const notes: string[] = [];
  const data = cm.data ?? {};
  let sets: Omit<ClusterKeySet, 'usedBy'>[];
  if (data['keysets.json'] !== undefined) sets = parseKeySets(data['keysets.json'], where);
  else {
    const recipients = (data['recipients.txt'] ?? '').split('\n').map((l) => l.trim()).filter(Boolean);
    const certificates = (data['cert.pem'] ?? '').match(CERT) ?? [];
    sets = recipients.length + certificates.length === 0 ? [] : [{ fingerprint: keySetFingerprint({ recipients, certificates }), state: 'active', recipients, rsaKeys: rsaKeysOf(certificates) }];
    notes.push(`${where} has no keysets.json (agent without key sets): one set, creation time unknown`);
  }
  const usedBy = new Map<string, string[]>(sets.map((s) => [s.fingerprint, []]));
  const unknownInUse: { sync: string; fingerprint: string }[] = [];
  let syncs: SyncList = {};
  try {
    syncs = await client.request<SyncList>('GET', '/apis/sealops.dev/v1alpha1/syncs');
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 404)) {
      throw new KubeError(`failed to list Syncs (context ${context}): ${err instanceof KubeApiError ? `${err.reason} (HTTP ${err.status})` : 'unreachable'}`);
    }
    notes.push(`no Sync resource in context ${context}`);
  }
  for (const item of syncs.items ?? []) {
    const sync = `${item.metadata?.namespace ?? ''}/${item.metadata?.name ?? ''}`;
    for (const fp of strings(item.status?.keysInUse)) {
      const list = usedBy.get(fp);
      if (list) list.push(sync);
      else unknownInUse.push({ sync, fingerprint: fp });
    }
  }
  const backup = parseBackup(cm.metadata?.annotations?.[LAST_BACKUP_ANNOTATION]);
  return {
    context,
    namespace,
    sets: sets.map((s) => ({ ...s, usedBy: (usedBy.get(s.fingerprint) ?? []).sort() })),
    ...(backup ? { backup } : {}),
    unknownInUse,
    notes,
  };
}
