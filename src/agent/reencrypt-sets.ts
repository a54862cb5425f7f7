/**
 * The key sets the agent's re-encrypt route loads, read when a request comes so a rotation is
 * seen at once. Today that is the keys Secret alone (its creation time is the Secret's); once
 * key sets are labelled Secrets (`sealops.dev/key-set`), this is where every set is listed.
 */
import { KubeError } from '../errors.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import type { KeySetEntries } from '../keys/reencrypt-keys.js';
import { KEYS_SECRET_NAME } from './keys.js';

interface SecretObject {
  metadata?: { name?: string; creationTimestamp?: string; annotations?: Record<string, string> };
  data?: Record<string, string>;
}

/** The cluster's key sets in `namespace` (today: the keys Secret `secretName`). */
export async function readReencryptKeySets(client: KubeClient, namespace: string, secretName = KEYS_SECRET_NAME): Promise<KeySetEntries[]> {
  let secret: SecretObject;
  try {
    secret = await client.request<SecretObject>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(secretName)}`);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return [];
    // The answer is a Secret: no part of it goes into the message.
    throw new KubeError(`failed to read secret ${namespace}/${secretName}: ${err instanceof KubeApiError ? `${err.reason} (HTTP ${err.status})` : 'unreachable'}`);
  }
  const entries: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) entries[k] = Buffer.from(v, 'base64').toString('utf8');
  const createdAt = secret.metadata?.annotations?.['sealops.dev/created-at'] ?? secret.metadata?.creationTimestamp;
  return [{ name: secretName, entries, ...(createdAt ? { createdAt } : {}) }];
}
