/**
 * What an administrator does to a cluster's key sets from a laptop (`sealops keys rotate`,
 * `retire`): every private key stays in the cluster. Rotation is asked for, not done here: the
 * CLI stamps a request on the public ConfigMap and the agent's leader makes the new set (its
 * private key never leaves the cluster), then publishes it; the CLI waits for that.
 */
import { randomBytes } from 'node:crypto';
import { KeyError, SealopsError, UsageError } from '../errors.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { kubeFailure, PUBLIC_KEYS_CONFIGMAP_NAME } from './keys.js';
import { keySetListing, listKeySets, parseKeySetListing, readPublicConfigMap, ROTATE_REQUEST_ANNOTATION, secretsPath, type KeySetInfo } from './keysets.js';
import { writeClusterKeys, type WriteClusterKeysResult } from '../keys/config-write.js';
import { parseDuration, syncsPath, type SyncObject } from './sync.js';

/** The agent's namespace default, as `sealops install` uses it. */
export const DEFAULT_AGENT_NAMESPACE = 'sealops-system';

/** Parses `--key-rotation`: `0` (never), days (`30d`) or a Go-style duration (`720h`). */
export function parseKeyRotation(text: string): number {
  if (text === '0') return 0;
  const days = /^(\d+)d$/.exec(text);
  if (days) return Number(days[1]) * 86_400_000;
  try {
    return parseDuration(text);
  } catch {
    throw new UsageError(`failed to parse --key-rotation ${JSON.stringify(text)}: give 0 (never), days (30d) or a duration (720h)`);
  }
}

function configMapPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${PUBLIC_KEYS_CONFIGMAP_NAME}`;
}

/** The key sets as the cluster lists them: the ConfigMap's `keysets.json`, else computed from the Secrets. */
export async function readKeySets(client: KubeClient, namespace: string): Promise<KeySetInfo[]> {
  let cm;
  try {
    cm = await readPublicConfigMap(client, namespace);
  } catch (err) {
    throw kubeFailure(`read configmap ${namespace}/${PUBLIC_KEYS_CONFIGMAP_NAME}`, err, []);
  }
  const listed = parseKeySetListing(cm.data['keysets.json']);
  if (listed.length > 0 || !cm.exists) return listed;
  return keySetListing(await listKeySets(client, namespace), []);
}

/** Options of {@link requestKeyRotation}. */
export interface RotateOptions {
  /** Give up after this long (default 2 minutes: an RSA-4096 key takes seconds on a busy node). */
  readonly timeoutMs?: number;
  /** Poll interval (default 1 s). */
  readonly pollMs?: number;
  readonly now?: () => Date;
}

/**
 * Asks the agent of `namespace` for a new key set and waits until it is published. Returns the
 * new active set. Throws a KubeError when the request cannot be written, and a KeyError when no
 * new set appears in time (is the agent running?).
 */
export async function requestKeyRotation(client: KubeClient, namespace: string, options: RotateOptions = {}): Promise<KeySetInfo> {
  // The request is told apart by value (the agent marks the set it made for it), and its end by
  // the active set changing: neither depends on this machine's clock agreeing with the cluster's.
  const before = (await readKeySets(client, namespace)).find((k) => k.state === 'active')?.fingerprint;
  const requested = `${(options.now?.() ?? new Date()).toISOString()} ${randomBytes(4).toString('hex')}`;
  try {
    await client.request('PATCH', configMapPath(namespace), {
      body: { metadata: { annotations: { [ROTATE_REQUEST_ANNOTATION]: requested } } },
      contentType: 'application/merge-patch+json',
      query: { fieldManager: 'sealops-keys' },
    });
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) throw new KeyError(`failed to request a key rotation in namespace ${namespace}: no ConfigMap ${PUBLIC_KEYS_CONFIGMAP_NAME} (is the agent installed there?)`);
    throw kubeFailure(`request a key rotation in namespace ${namespace}`, err, []);
  }
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  for (;;) {
    const active = (await readKeySets(client, namespace)).find((k) => k.state === 'active');
    if (active && active.fingerprint !== before) return active;
    if (Date.now() > deadline) throw new KeyError(`failed to rotate the key set in namespace ${namespace}: the agent published no new set in time (is it running and leading?)`);
    await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
  }
}

/** Options of {@link retireKeySet}. */
export interface RetireOptions {
  /** Retire even when a Sync still needs the set, or it is the active one. */
  readonly force?: boolean;
  readonly now?: () => Date;
}

/** What {@link retireKeySet} did. */
export interface RetireResult {
  readonly fingerprint: string;
  /** The Secret deleted. */
  readonly secret: string;
  /** Syncs that still listed it (only with `force`). */
  readonly neededBy: readonly string[];
}

/**
 * Deletes the private key set `fingerprint` of `namespace` and lists it as `retired` (public
 * halves only) in `keysets.json`. Refused, naming the Syncs, while any Sync's
 * `status.keysInUse` lists it; refused for the active set; `force` overrides both.
 */
export async function retireKeySet(client: KubeClient, namespace: string, fingerprint: string, options: RetireOptions = {}): Promise<RetireResult> {
  let sets;
  try {
    sets = await listKeySets(client, namespace);
  } catch (err) {
    throw kubeFailure(`read key sets in namespace ${namespace}`, err, []);
  }
  const index = sets.findIndex((s) => s.fingerprint === fingerprint);
  const set = sets[index];
  if (!set) throw new KeyError(`failed to retire key set ${fingerprint}: namespace ${namespace} holds no such set (known: ${sets.map((s) => s.fingerprint).join(', ') || 'none'})`);
  let syncs: SyncObject[];
  try {
    syncs = (await client.request<{ items?: SyncObject[] }>('GET', syncsPath(undefined))).items ?? [];
  } catch (err) {
    throw kubeFailure('list Syncs', err, []);
  }
  const neededBy = syncs
    .filter((s) => (s.status as { keysInUse?: unknown } | undefined)?.keysInUse instanceof Array && ((s.status as { keysInUse: unknown[] }).keysInUse).includes(fingerprint))
    .map((s) => `${s.metadata.namespace}/${s.metadata.name}`)
    .sort();
  if (!options.force) {
    if (index === sets.length - 1) throw new SealopsError('KEY', `failed to retire key set ${fingerprint}: it is the active set (new seals use it)`, { hint: 'rotate first (sealops keys rotate), or pass --force' });
    if (neededBy.length > 0) {
      throw new SealopsError('KEY', `failed to retire key set ${fingerprint}: still in use by Sync ${neededBy.join(', ')}`, {
        hint: 're-seal their files for the active set (sealops keys fetch, then sealops rekey --all), let the agent reconcile, or pass --force',
      });
    }
  }
  const now = options.now?.() ?? new Date();
  // Listed as retired first: if the delete then fails, the set is still there and still listed.
  const cm: { exists: boolean; data: Record<string, string> } = await readPublicConfigMap(client, namespace).catch(() => ({ exists: false, data: {} }));
  const listing = keySetListing(sets, parseKeySetListing(cm.data['keysets.json']), now).map((k) =>
    k.fingerprint === fingerprint ? { ...k, state: 'retired' as const, retiredAt: now.toISOString() } : k,
  );
  try {
    if (cm.exists) {
      await client.request('PATCH', configMapPath(namespace), {
        body: { data: { 'keysets.json': `${JSON.stringify(listing, null, 2)}\n` } },
        contentType: 'application/merge-patch+json',
        query: { fieldManager: 'sealops-keys' },
      });
    }
    await client.request('DELETE', `${secretsPath(namespace)}/${encodeURIComponent(set.name)}`);
  } catch (err) {
    throw kubeFailure(`retire key set ${fingerprint} (secret ${namespace}/${set.name})`, err, []);
  }
  return { fingerprint, secret: `${namespace}/${set.name}`, neededBy };
}

/** The key sets an agent serves on `GET <url>/v1/keysets` (public halves only). */
export async function fetchKeySetsFromUrl(url: string): Promise<KeySetInfo[]> {
  let base: URL;
  try {
    base = new URL(url);
  } catch {
    throw new UsageError(`failed to parse --url ${JSON.stringify(url)}: give the agent's address, e.g. https://sealops.example.com`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new UsageError(`failed to parse --url: ${base.protocol} is not http or https`);
  const target = new URL(`${base.pathname.replace(/\/$/, '')}/v1/keysets`, base);
  let res: Response;
  try {
    res = await fetch(target, { signal: AbortSignal.timeout(30_000) });
  } catch (err) {
    throw new KeyError(`failed to fetch ${target.href}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!res.ok) throw new KeyError(`failed to fetch ${target.href}: HTTP ${res.status}`);
  const sets = parseKeySetListing(await res.text());
  if (sets.length === 0) throw new KeyError(`failed to fetch ${target.href}: the answer lists no key set`);
  return sets;
}

/**
 * Writes the newest public keys of a cluster (from its agent namespace, or its agent's URL)
 * into `.sealops.yaml` as cluster `name` (see {@link writeClusterKeys}).
 */
export async function fetchClusterKeys(source: { client: KubeClient; namespace: string } | { url: string }, configFile: string, name: string): Promise<WriteClusterKeysResult> {
  const sets = 'url' in source ? await fetchKeySetsFromUrl(source.url) : await readKeySets(source.client, source.namespace);
  if (sets.length === 0) throw new KeyError(`failed to fetch the keys of cluster ${name}: namespace ${'url' in source ? '' : source.namespace} publishes no key set (is the agent running?)`);
  return writeClusterKeys(configFile, name, sets);
}
