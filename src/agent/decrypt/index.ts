/**
 * Decrypt stage: SOPS-sealed manifests and SealedSecrets become plain objects in memory.
 *
 * Fail closed: any sealed object that cannot be opened and verified stops the reconcile with
 * an error naming the file (and the key path, as the SOPS reader reports it); nothing is
 * applied. {@link assertNothingSealed} is the last check before the API server sees anything.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { DecryptError, InputError, ScopeError, SealopsError, describe, redact } from '../../errors.js';
import { checkScopes, SCOPE_ANNOTATION, type DocumentScope } from '../../formats/sops/index.js';
import type { BuildResult, KubeObject, Manifest } from '../../build/index.js';
import { defaultUnsealers } from './unsealers.js';

/** Keys the cluster holds, loaded from the keys Secret. */
export interface DecryptionKeys {
  /** age X25519 identities (`AGE-SECRET-KEY-1…`). */
  readonly ageIdentities: readonly string[];
  /** RSA private keys for SealedSecrets. */
  readonly rsaKeys: readonly KeyObject[];
}

/** The format readers the stage uses; the default binds the sealops library's own. */
export interface Unsealers {
  decryptSopsDocuments(text: string, options: { identities: string[]; format?: 'yaml' | 'json'; source?: string }): Promise<unknown[]>;
  /** Like decryptSopsDocuments, with each document's bound scope (see the library's openSopsDocuments). */
  openSopsDocuments?(text: string, options: { identities: string[]; format?: 'yaml' | 'json'; source?: string }): Promise<{ documents: unknown[]; scopes: (DocumentScope | undefined)[] }>;
  isSopsEncrypted(doc: unknown): boolean;
  unsealSealedSecret(obj: unknown, privateKeys: KeyObject[]): unknown;
  isSealedSecret(obj: unknown): boolean;
  parseAgeIdentities(text: string): string[];
  loadRsaPrivateKeys(text: string): KeyObject[];
}

/** What the stage produced. */
export interface DecryptResult {
  readonly manifests: Manifest[];
  /** Plaintext values now held in memory: every report is redacted against these. */
  readonly secrets: string[];
  /** How many objects were unsealed. */
  readonly unsealed: number;
  /** Things accepted by policy that an operator should know (unbound SOPS Secrets). */
  readonly warnings?: string[];
}

/** What the stage accepts beyond the default. */
export interface DecryptPolicy {
  /** Accept SOPS Secrets without a scope binding (sealed by plain sops), with a warning. */
  allowUnbound?: boolean;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Collects every string and decoded `data` value of a Secret-like object for redaction. */
function secretValues(obj: Record<string, unknown>, out: string[]): void {
  const data = obj.data;
  if (isRecord(data)) {
    for (const v of Object.values(data)) {
      if (typeof v === 'string') {
        out.push(v);
        out.push(Buffer.from(v, 'base64').toString('utf8'));
      }
    }
  }
  const walk = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (isRecord(v)) Object.values(v).forEach(walk);
  };
  walk(obj.stringData);
}

/** Folds `stringData` into base64 `data`, as the API server would, so diffs compare like with like. */
export function normalizeSecret(obj: KubeObject): KubeObject {
  if (obj.kind !== 'Secret' || obj.apiVersion !== 'v1' || !isRecord(obj.stringData)) return obj;
  const data: Record<string, unknown> = isRecord(obj.data) ? { ...obj.data } : {};
  for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  const { stringData: _drop, ...rest } = obj;
  return { ...rest, data };
}

/** Loads age identities and RSA keys from the entries of the keys Secret (`.agekey`, `.pem`). */
export function loadDecryptionKeys(entries: Readonly<Record<string, string>>, unsealers: Unsealers = defaultUnsealers()): DecryptionKeys {
  const ageIdentities: string[] = [];
  const rsaKeys: KeyObject[] = [];
  for (const [name, text] of Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1))) {
    try {
      if (name.endsWith('.agekey')) ageIdentities.push(...unsealers.parseAgeIdentities(text));
      else if (name.endsWith('.pem')) rsaKeys.push(...unsealers.loadRsaPrivateKeys(text));
    } catch (err) {
      throw new InputError(`failed to load decryption key ${name}: ${err instanceof SealopsError ? err.message : 'malformed key'}`, { cause: err });
    }
  }
  return { ageIdentities, rsaKeys };
}

function where(m: Manifest): string {
  return `${m.file} (document ${m.doc + 1}, ${m.object.kind} ${m.object.metadata.name})`;
}

/**
 * Unseals every sealed object of `build`. Throws a SealopsError naming the file on the first
 * failure; the message is redacted against every value decrypted so far.
 */
export async function decryptManifests(
  build: BuildResult,
  keys: DecryptionKeys,
  unsealers: Unsealers = defaultUnsealers(),
  memo?: DecryptMemo,
  policy: DecryptPolicy = {},
): Promise<DecryptResult> {
  const fresh: Map<string, unknown> = new Map();
  const remember = async <T>(key: string, compute: () => Promise<T> | T): Promise<T> => {
    const hit = memo?.previous.get(key);
    const value = hit !== undefined ? (hit as T) : await compute();
    fresh.set(key, value);
    return value;
  };
  try {
    return await decryptWith(build, keys, unsealers, remember, policy);
  } finally {
    if (memo) memo.previous = fresh;
  }
}

/**
 * Results of the previous reconcile, keyed by a digest of the sealed input, so an unchanged
 * sealed file is not decrypted again (RSA-4096 unwrapping dominates a no-op resync). It lives
 * only in the agent's memory, is dropped when the keys change, and keeps only the entries the
 * last reconcile used.
 */
export interface DecryptMemo {
  previous: Map<string, unknown>;
}

function digestOf(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('base64');
}

async function decryptWith(
  build: BuildResult,
  keys: DecryptionKeys,
  unsealers: Unsealers,
  remember: <T>(key: string, compute: () => Promise<T> | T) => Promise<T>,
  policy: DecryptPolicy,
): Promise<DecryptResult> {
  const secrets: string[] = [];
  const warnings: string[] = [];
  const openSops = unsealers.openSopsDocuments?.bind(unsealers) ?? (async (t: string, o: Parameters<Unsealers['decryptSopsDocuments']>[1]) => ({ documents: await unsealers.decryptSopsDocuments(t, o), scopes: [] }));
  const out: Manifest[] = [];
  let unsealed = 0;
  const sopsFiles = new Set(build.manifests.filter((m) => unsealers.isSopsEncrypted(m.object)).map((m) => m.file));
  const decryptedDocs = new Map<string, { documents: unknown[]; scopes: (DocumentScope | undefined)[] }>();
  for (const file of build.files) {
    if (!sopsFiles.has(file.path)) continue;
    if (keys.ageIdentities.length === 0) throw new DecryptError(`failed to decrypt ${file.path}: no age identity in the decryption keys`);
    try {
      const docs = await remember(digestOf('sops', file.path, file.text), () =>
        openSops(file.text, { identities: [...keys.ageIdentities], format: file.format, source: file.path }),
      );
      decryptedDocs.set(file.path, docs);
    } catch (err) {
      const cause = redact(describe(err), secrets);
      if (err instanceof SealopsError) throw new DecryptError(`failed to decrypt ${file.path}: ${cause}`, { cause: err });
      throw new DecryptError(`failed to decrypt ${file.path}: ${cause}`);
    }
  }
  for (const m of build.manifests) {
    if (sopsFiles.has(m.file) && unsealers.isSopsEncrypted(m.object)) {
      // The reader drops empty documents, so match by identity rather than by position.
      const opened = decryptedDocs.get(m.file) ?? { documents: [], scopes: [] };
      const at = opened.documents.findIndex(
        (d) =>
          isRecord(d) &&
          d.kind === m.object.kind &&
          d.apiVersion === m.object.apiVersion &&
          isRecord(d.metadata) &&
          d.metadata.name === m.object.metadata.name &&
          d.metadata.namespace === m.object.metadata.namespace,
      );
      const doc = opened.documents[at];
      if (!isRecord(doc)) throw new DecryptError(`failed to decrypt ${where(m)}: the document is missing after decryption`);
      const { sops: _meta, ...plain } = doc;
      const obj = plain as KubeObject;
      if (obj.kind !== m.object.kind || obj.metadata?.name !== m.object.metadata.name || obj.metadata?.namespace !== m.object.metadata.namespace) {
        throw new DecryptError(`failed to decrypt ${where(m)}: identity changed during decryption`);
      }
      if (obj.kind === 'Secret' && !obj.metadata.namespace) {
        // The MAC binds the namespace written in the file; without one the Secret could land anywhere.
        throw new DecryptError(`failed to decrypt ${where(m)}: a sealed Secret must name its metadata.namespace`);
      }
      if (obj.kind === 'Secret') checkBinding(m, opened.scopes[at], policy, warnings);
      secretValues(obj, secrets);
      out.push({ ...m, object: normalizeSecret(obj) });
      unsealed++;
    } else if (unsealers.isSealedSecret(m.object)) {
      const ns = m.object.metadata.namespace;
      if (!ns) throw new DecryptError(`failed to unseal ${where(m)}: a SealedSecret must name its metadata.namespace`);
      if (keys.rsaKeys.length === 0) throw new DecryptError(`failed to unseal ${where(m)}: no RSA key in the decryption keys`);
      let secret: unknown;
      try {
        secret = await remember(digestOf('sealed', JSON.stringify(m.object)), () => unsealers.unsealSealedSecret(m.object, [...keys.rsaKeys]));
      } catch (err) {
        throw new DecryptError(`failed to unseal ${where(m)}: ${redact(describe(err), secrets)}`, { cause: err });
      }
      if (!isRecord(secret) || !isRecord(secret.metadata)) throw new DecryptError(`failed to unseal ${where(m)}: no Secret produced`);
      const obj = { ...secret, metadata: { ...secret.metadata, name: m.object.metadata.name, namespace: ns } } as KubeObject;
      secretValues(obj, secrets);
      out.push({ ...m, object: normalizeSecret(obj) });
      unsealed++;
    } else {
      out.push(m);
    }
  }
  assertNothingSealed(out, unsealers);
  return { manifests: out, secrets: [...new Set(secrets)].filter((s) => s.length >= 4), unsealed, warnings };
}

/**
 * The scope binding of a SOPS Secret against the object about to be applied (after the build,
 * so an overlay cannot move a Secret sealed for `team-a/db` into `team-b`); an unbound Secret
 * only where the Sync allows it.
 */
function checkBinding(m: Manifest, scope: DocumentScope | undefined, policy: DecryptPolicy, warnings: string[]): void {
  if (scope?.bound) {
    checkScopes([{ ...scope, namespace: m.object.metadata.namespace ?? '', name: m.object.metadata.name }], m.file, 'after the build');
    return;
  }
  if (!policy.allowUnbound) {
    throw new ScopeError(`failed to decrypt ${where(m)}: the Secret carries no ${SCOPE_ANNOTATION} binding (sealed by plain sops?), so its namespace and name are not authenticated`, {
      hint: 'seal it again with `sealops edit` or `sealops seal`, or set spec.decryption.allowUnbound: true on the Sync',
    });
  }
  warnings.push(`accepted unbound Secret ${where(m)}: spec.decryption.allowUnbound is set; its namespace and name are not authenticated`);
}

function hasEncValue(v: unknown): boolean {
  if (typeof v === 'string') return v.startsWith('ENC[AES256_GCM,');
  if (Array.isArray(v)) return v.some(hasEncValue);
  if (isRecord(v)) return Object.values(v).some(hasEncValue);
  return false;
}

/** Throws when any object still carries SOPS metadata, an `ENC[…]` value, or is a SealedSecret. */
export function assertNothingSealed(manifests: readonly Manifest[], unsealers: Unsealers = defaultUnsealers()): void {
  for (const m of manifests) {
    const o = m.object as Record<string, unknown>;
    if ('sops' in o || hasEncValue(o) || unsealers.isSealedSecret(o) || o.kind === 'SealedSecret') {
      throw new DecryptError(`failed to decrypt ${where(m)}: the object is still sealed and will not be applied`);
    }
  }
}
