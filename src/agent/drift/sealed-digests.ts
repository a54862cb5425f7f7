/**
 * The keyless link between git and the cluster: on every Secret it applies from a sealed source,
 * the agent records, per key, a digest of the ciphertext it applied from
 * (annotation {@link SEALED_DIGESTS_ANNOTATION}, JSON `{"<key>": "<32 hex>"}`).
 *
 * Anyone can compute the same digest from the sealed files of a commit (the ciphertext is in git
 * already), so `sealops diff --live` without a key can say per key whether git still holds what
 * the agent applied. No derivative of a value is published: the digest covers ciphertext only,
 * never plaintext (a plaintext hash could be guessed for short values; a keyed one would need a
 * key the CLI cannot hold). Whether the cluster's value moved since is read from field ownership
 * (see src/diff/live.ts). Keys of unsealed Secrets get no digest.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, Manifest } from '../../build/index.js';
import { digestBytes, type SealedIndex } from '../decrypt/sources.js';

/** Annotation holding the per-key ciphertext digests of an applied Secret. */
export const SEALED_DIGESTS_ANNOTATION = 'sealops.dev/sealed-digests';

const ENC_PREFIX = 'ENC[AES256_GCM,';

function rec(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function short(fingerprint: string): string {
  return createHash('sha256').update(`sealops sealed-digest v1\0${fingerprint}`).digest('hex').slice(0, 32);
}

/**
 * Per Secret key, the digest of the ciphertext behind it in the sealed (not yet decrypted) object
 * `sealed`: a SOPS Secret's `ENC[…]` value, a SealedSecret's `encryptedData` entry, or, for a Secret
 * kustomize generated from a sealed dotenv or file, the sealed line or file. Undefined when
 * `sealed` holds no sealed key.
 */
export function sealedKeyDigests(sealed: KubeObject, index: SealedIndex): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  if (sealed.kind === 'SealedSecret') {
    for (const [k, v] of Object.entries(rec(rec(sealed.spec)?.encryptedData) ?? {})) if (typeof v === 'string') out[k] = short(v);
  } else if (sealed.kind === 'Secret') {
    for (const field of ['data', 'stringData'] as const) {
      for (const [k, v] of Object.entries(rec(sealed[field]) ?? {})) {
        if (typeof v !== 'string' || v === '') continue;
        if (v.startsWith(ENC_PREFIX)) {
          out[k] = short(v);
          continue;
        }
        if (rec(sealed.sops) || field !== 'data') continue;
        const bytes = Buffer.from(v, 'base64');
        const text = bytes.toString('utf8');
        if (index.envValues.has(text)) out[k] = short(text);
        else if (index.wholeFiles.has(digestBytes(bytes))) out[k] = short(digestBytes(bytes));
      }
    }
  }
  return Object.keys(out).length ? Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : undefined;
}

/** Reads the annotation of a live Secret; undefined when absent or unreadable. */
export function readSealedDigests(live: KubeObject | undefined): Record<string, string> | undefined {
  const text = rec(live?.metadata.annotations)?.[SEALED_DIGESTS_ANNOTATION];
  if (typeof text !== 'string') return undefined;
  try {
    const parsed = rec(JSON.parse(text));
    return parsed && Object.values(parsed).every((v) => typeof v === 'string') ? (parsed as Record<string, string>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * `decrypted` (position by position the unsealed form of `sealed`) with the digests annotation on
 * every Secret that came from a sealed object.
 */
export function stampSealedDigests(sealed: readonly Manifest[], decrypted: readonly Manifest[], index: SealedIndex): Manifest[] {
  return decrypted.map((m, i) => {
    const from = sealed[i];
    if (m.object.kind !== 'Secret' || !from || from.object.metadata.name !== m.object.metadata.name) return m;
    const digests = sealedKeyDigests(from.object, index);
    if (!digests) return m;
    const annotations = { ...rec(m.object.metadata.annotations), [SEALED_DIGESTS_ANNOTATION]: JSON.stringify(digests) };
    return { ...m, object: { ...m.object, metadata: { ...m.object.metadata, annotations } } };
  });
}
