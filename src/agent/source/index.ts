/**
 * Source stage: read the Sync's auth Secret, fetch its ref into a private per-Sync work dir,
 * and hand over the commit and files. Credentials stay in memory (SSH keys: see src/git/source.ts).
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { credentialValues, fetchSnapshot, SourceError, type GitAuth, type Snapshot } from '../../git/source.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import type { SyncSpec } from '../sync.js';
import { countAllowedSigners, type SignatureKeys } from '../../git/verify.js';

/** Reads a Secret's entries as UTF-8 strings; throws SourceError-free KubeApiError on failure. */
export async function readSecretEntries(client: KubeClient, namespace: string, name: string): Promise<Record<string, string>> {
  const secret = await client.request<{ data?: Record<string, string> }>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(secret.data ?? {})) out[k] = Buffer.from(v, 'base64').toString('utf8');
  return out;
}

/**
 * Auth from the entries of a source Secret:
 * `identity` + `known_hosts` (SSH deploy key), `bearerToken`, `username` + `password`,
 * or `token` (basic auth, user `username` or `git`).
 */
export function authFromEntries(entries: Readonly<Record<string, string>>): GitAuth {
  if (entries.identity !== undefined) {
    if (!entries.known_hosts) throw new SourceError('InvalidSource', 'failed to read source secret: an SSH identity needs known_hosts (host keys are always checked)');
    return { kind: 'ssh', privateKey: entries.identity, knownHosts: entries.known_hosts };
  }
  if (entries.bearerToken !== undefined) return { kind: 'bearer', token: entries.bearerToken.trim() };
  if (entries.password !== undefined) return { kind: 'basic', username: entries.username ?? 'git', password: entries.password };
  if (entries.token !== undefined) return { kind: 'basic', username: entries.username ?? 'git', password: entries.token.trim() };
  throw new SourceError('InvalidSource', 'failed to read source secret: it holds none of identity, bearerToken, password, token');
}

/**
 * Trusted signing keys from the entries of a `spec.source.verify` Secret: `allowed_signers`
 * (SSH, git's gpg.ssh.allowedSignersFile format) and/or OpenPGP public keys (entries ending
 * `.asc`). A Secret naming no key is refused, so verification never silently accepts nothing.
 */
export function signatureKeysFromEntries(entries: Readonly<Record<string, string>>): SignatureKeys {
  const allowedSigners = entries.allowed_signers;
  const openpgpKeys = Object.keys(entries)
    .filter((k) => k.endsWith('.asc'))
    .sort()
    .map((k) => entries[k]!)
    .filter((v) => v.trim() !== '');
  const ssh = allowedSigners !== undefined && countAllowedSigners(allowedSigners) > 0;
  if (!ssh && openpgpKeys.length === 0) {
    const why = allowedSigners === undefined ? 'it has no allowed_signers entry and no OpenPGP key (*.asc)' : 'allowed_signers lists no key';
    throw new SourceError('InvalidSource', `failed to read verification secret: ${why}`);
  }
  return { ...(ssh ? { allowedSigners } : {}), ...(openpgpKeys.length ? { openpgpKeys } : {}) };
}

async function readNamedSecret(client: KubeClient, namespace: string, name: string, what: string): Promise<Record<string, string>> {
  try {
    return await readSecretEntries(client, namespace, name);
  } catch (err) {
    const why = err instanceof KubeApiError && err.status === 404 ? 'not found' : 'could not be read';
    throw new SourceError('InvalidSource', `failed to read ${what} ${namespace}/${name}: ${why}`, { cause: err });
  }
}

/** Fetches the Sync's source. `workRoot` holds one bare repository per Sync and URL. */
export async function fetchSyncSource(
  client: KubeClient,
  sync: { namespace: string; name: string },
  spec: SyncSpec,
  workRoot: string,
): Promise<{ snapshot: Snapshot; secrets: string[] }> {
  let auth: GitAuth = { kind: 'none' };
  if (spec.source.secretRef) auth = authFromEntries(await readNamedSecret(client, sync.namespace, spec.source.secretRef, 'source secret'));
  const verify = spec.source.verify
    ? signatureKeysFromEntries(await readNamedSecret(client, sync.namespace, spec.source.verify.secretRef, 'verification secret'))
    : undefined;
  const id = createHash('sha256').update(`${sync.namespace}/${sync.name}\n${spec.source.url}`).digest('hex').slice(0, 24);
  const snapshot = await fetchSnapshot({
    url: spec.source.url,
    ref: spec.source.ref,
    auth,
    workDir: join(workRoot, id),
    subdir: spec.path,
    timeoutMs: Math.min(spec.timeoutMs, 120_000),
    ...(spec.source.maxFileBytes ? { maxFileBytes: spec.source.maxFileBytes } : {}),
    ...(spec.source.maxTotalBytes ? { maxTotalBytes: spec.source.maxTotalBytes } : {}),
    ...(verify ? { verify } : {}),
  });
  return { snapshot, secrets: credentialValues(auth) };
}
