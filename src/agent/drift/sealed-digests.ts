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
import type { BuildInput, KubeObject, Manifest } from '../../build/index.js';
import { digestBytes, envLines } from '../decrypt/sources.js';
import { asRecord as rec } from '../../util/record.js';

/** Annotation holding the per-key ciphertext digests of an applied Secret. */
export const SEALED_DIGESTS_ANNOTATION = 'sealops.dev/sealed-digests';

const ENC_PREFIX = 'ENC[AES256_GCM,';

/**
 * Where a generated Secret's values come from: the sealed values of SOPS dotenv files, and the
 * digests of files holding sealed values. (The decrypt stage's SealedIndex fits too.)
 */
export interface SealedSources {
  readonly envValues: { has(value: string): boolean };
  readonly wholeFiles: { has(digest: string): boolean };
}

/**
 * A {@link SealedSources} without parsing any YAML: it runs on the agent's main thread after the
 * decrypt worker, so it must stay cheap for repositories of large sealed files.
 */
export function lightSealedSources(sources: readonly BuildInput[]): SealedSources {
  const envValues = new Set<string>();
  const wholeFiles = new Set<string>();
  for (const src of sources) {
    if (src.content.indexOf(ENC_PREFIX) < 0) continue;
    wholeFiles.add(digestBytes(src.content));
    const text = src.content.toString('utf8');
    // The sops_* lines are metadata (the decrypt stage drops what a generator copied of them).
    if (/^sops_mac=/m.test(text)) for (const [k, v] of envLines(text)) if (!k.startsWith('sops_') && v.startsWith(ENC_PREFIX)) envValues.add(v);
  }
  return { envValues, wholeFiles };
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
export function sealedKeyDigests(sealed: KubeObject, index: SealedSources): Record<string, string> | undefined {
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
export function stampSealedDigests(sealed: readonly Manifest[], decrypted: readonly Manifest[], sources: readonly BuildInput[]): Manifest[] {
  let index: SealedSources | undefined;
  // Only a generated Secret (no sops block, not a SealedSecret) needs the sources read.
  const lazy: SealedSources = {
    envValues: { has: (v) => (index ??= lightSealedSources(sources)).envValues.has(v) },
    wholeFiles: { has: (d) => (index ??= lightSealedSources(sources)).wholeFiles.has(d) },
  };
  return decrypted.map((m, i) => {
    const from = sealed[i];
    if (m.object.kind !== 'Secret' || !from || from.object.metadata.name !== m.object.metadata.name) return m;
    const present = new Set([...Object.keys(rec(m.object.data) ?? {}), ...Object.keys(rec(m.object.stringData) ?? {})]);
    const found = Object.entries(sealedKeyDigests(from.object, lazy) ?? {}).filter(([k]) => present.has(k));
    if (found.length === 0) return m;
    const digests = Object.fromEntries(found);
    const annotations = { ...rec(m.object.metadata.annotations), [SEALED_DIGESTS_ANNOTATION]: JSON.stringify(digests) };
    return { ...m, object: { ...m.object, metadata: { ...m.object.metadata, annotations } } };
  });
}
