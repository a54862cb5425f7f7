/**
 * Decrypt stage: SOPS-sealed objects, SealedSecrets and Secrets generated from sealed sources
 * become plain objects in memory (see objects.ts for the checks and the scope rule).
 *
 * Fail closed: any sealed object that cannot be opened and verified stops the reconcile with
 * an error naming the file; nothing is applied. {@link assertNothingSealed} is the last check
 * before the API server sees anything. The stage calls the format layer directly, opens each
 * sealed file once, and collects every decrypted value, whatever its field, for redaction.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { DecryptError, InputError, ScopeError, SealopsError, describe, redact } from '../../errors.js';
import type { BuildResult, KubeObject, Manifest } from '../../build/index.js';
import { isSealedSecret } from '../../formats/sealedsecret/index.js';
import { loadRsaPrivateKeys, parseAgeIdentities } from '../../keys/index.js';
import { indexSealedSources, sopsOpener, type Remember, type SealedIndex } from './sources.js';
import { isGeneratedFromSealed, openGeneratedSecret, openSealedSecret, openSopsObject, where } from './objects.js';
import { isRecord } from '../../util/record.js';

export { SEALED_MARKER, SCOPE_ANNOTATION } from './objects.js';

/** Keys the cluster holds, loaded from the keys Secret. */
export interface DecryptionKeys {
  /** age X25519 identities (`AGE-SECRET-KEY-1…`). */
  readonly ageIdentities: readonly string[];
  /** RSA private keys for SealedSecrets. */
  readonly rsaKeys: readonly KeyObject[];
}

/** What the stage produced. */
export interface DecryptResult {
  readonly manifests: Manifest[];
  /** Plaintext values now held in memory (every field of every unsealed object): every report is redacted against these. */
  readonly secrets: string[];
  /** How many objects were unsealed. */
  readonly unsealed: number;
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

/** How the stage gets keys: loaded only when something sealed is found; `'redact'` shows markers instead. */
export interface DecryptOptions {
  readonly keys: (() => Promise<DecryptionKeys>) | 'redact';
  /** Read after the keys are loaded (the memo belongs to one key set). */
  readonly memo?: () => DecryptMemo | undefined;
  /** Accept SOPS Secrets without a `sealops.dev/scope` binding (sealed by plain sops), each reported to {@link warn}. */
  readonly allowUnbound?: boolean;
  /** Told what policy accepted that an operator should know (an unbound Secret); no secret byte. */
  readonly warn?: (message: string) => void;
  /** Told which object is opened next, before the work: a worker that runs out of memory can then name it. */
  readonly opening?: (where: string) => void;
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
export function loadDecryptionKeys(entries: Readonly<Record<string, string>>): DecryptionKeys {
  const ageIdentities: string[] = [];
  const rsaKeys: KeyObject[] = [];
  for (const [name, text] of Object.entries(entries).sort(([a], [b]) => (a < b ? -1 : 1))) {
    try {
      if (name.endsWith('.agekey')) ageIdentities.push(...parseAgeIdentities(text));
      else if (name.endsWith('.pem')) rsaKeys.push(...loadRsaPrivateKeys(text));
    } catch (err) {
      throw new InputError(`failed to load decryption key ${name}: ${err instanceof SealopsError ? err.message : 'malformed key'}`, { cause: err });
    }
  }
  return { ageIdentities, rsaKeys };
}

type Kind = 'sops' | 'sealed' | 'generated' | 'plain';

function kindOf(obj: KubeObject, index: SealedIndex): Kind {
  if ('sops' in obj) return 'sops';
  if (isSealedSecret(obj)) return 'sealed';
  return isGeneratedFromSealed(obj, index) ? 'generated' : 'plain';
}

/**
 * Unseals every sealed object of `build`. Throws a DecryptError naming the file on the first
 * failure; the message is redacted against every value decrypted so far.
 */
export async function decryptManifests(build: BuildResult, options: DecryptOptions): Promise<DecryptResult> {
  const index = indexSealedSources(build.sources);
  const kinds = build.manifests.map((m) => kindOf(m.object, index));
  const secrets: string[] = [];
  if (kinds.every((k) => k === 'plain')) {
    assertNothingSealed(build.manifests);
    return { manifests: build.manifests, secrets, unsealed: 0 };
  }
  const keys = options.keys === 'redact' ? null : await options.keys();
  const memo = options.memo?.();
  const fresh = new Map<string, unknown>();
  const remember: Remember = async <T>(key: string, compute: () => Promise<T>): Promise<T> => {
    const hit = memo?.previous.get(key);
    const value = hit !== undefined ? (hit as T) : await compute();
    fresh.set(key, value);
    return value;
  };
  const opener = keys ? sopsOpener(keys.ageIdentities, remember) : null;
  const out: Manifest[] = [];
  let unsealed = 0;
  try {
    for (let i = 0; i < build.manifests.length; i++) {
      const m = build.manifests[i]!;
      const kind = kinds[i]!;
      if (kind === 'plain') {
        out.push(m);
        continue;
      }
      if (keys && kind !== 'sealed' && keys.ageIdentities.length === 0) throw new DecryptError(`failed to decrypt ${where(m)}: no age identity in the decryption keys`);
      let obj: KubeObject;
      options.opening?.(where(m));
      try {
        if (kind === 'sops') obj = await openSopsObject(m, index, opener, secrets, { allowUnbound: options.allowUnbound === true, warn: options.warn });
        else if (kind === 'sealed') obj = openSealedSecret(m, keys ? keys.rsaKeys : null, secrets);
        else obj = await openGeneratedSecret(m, index, opener, secrets);
      } catch (err) {
        if (err instanceof DecryptError || err instanceof ScopeError) throw err;
        throw new DecryptError(`failed to decrypt ${where(m)}: ${redact(describe(err), secrets)}`, { cause: err });
      }
      if (obj.kind === 'Secret' && !obj.metadata.namespace) {
        throw new DecryptError(`failed to decrypt ${where(m)}: a sealed Secret must land in a namespace (set one when sealing, or with the overlay's namespace:)`);
      }
      out.push({ ...m, object: keys ? normalizeSecret(obj) : obj });
      unsealed++;
    }
  } finally {
    if (memo) memo.previous = fresh;
  }
  assertNothingSealed(out);
  return { manifests: out, secrets: [...new Set(secrets)].filter((s) => s.length >= 4), unsealed };
}

// Anywhere in a string: a whole sealed file embedded by a configMapGenerator counts too.
function hasEncValue(v: unknown): boolean {
  if (typeof v === 'string') return v.includes('ENC[AES256_GCM,');
  if (Array.isArray(v)) return v.some(hasEncValue);
  if (isRecord(v)) return Object.values(v).some(hasEncValue);
  return false;
}

/** A Secret's base64 `data` still holding a sealed value or a sops metadata line. */
function hasSealedData(o: Record<string, unknown>): boolean {
  if (o.kind !== 'Secret' || !isRecord(o.data)) return false;
  return Object.entries(o.data).some(([k, v]) => k === 'sops_mac' || (typeof v === 'string' && Buffer.from(v, 'base64').toString('utf8').startsWith('ENC[AES256_GCM,')));
}

/** Throws when any object still carries SOPS metadata, an `ENC[…]` value, or is a SealedSecret. */
export function assertNothingSealed(manifests: readonly Manifest[]): void {
  for (const m of manifests) {
    const o = m.object as Record<string, unknown>;
    if ('sops' in o || hasEncValue(o) || hasSealedData(o) || isSealedSecret(o) || o.kind === 'SealedSecret') {
      throw new DecryptError(`failed to decrypt ${where(m)}: the object is still sealed and will not be applied`);
    }
  }
}

/** Digest of key material, to tell whether a memo belongs to the current keys. */
export function keysDigest(values: readonly string[]): string {
  return createHash('sha256').update(values.join('\0')).digest('base64');
}
