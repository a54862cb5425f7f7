/**
 * Splitting a built object into what a review may see and what it may only compare.
 *
 * A sealed value is compared by its ciphertext alone, so no key is needed and none is used:
 * - SOPS: every `ENC[…]` leaf (the `sops` block, whose MAC and `lastmodified` change on every
 *   re-seal, is left out). sealops keeps the envelope of an unchanged value when it re-seals,
 *   so an equal envelope means an equal value and a new one means the value was re-encrypted.
 * - SealedSecret: each `spec.encryptedData` entry. kubeseal (and sealops) encrypt every value
 *   afresh on every seal, so here "changed" means "re-sealed": the value may be the same.
 * - A Secret kustomize generated from a sealed dotenv or file: the `ENC[…]` line or the whole
 *   sealed file behind each entry (the `sops_*` lines the generator copied are left out).
 * - A Secret's other `data`/`stringData` entries (not sealed at all): compared by a SHA-256
 *   digest held in memory and never printed.
 * The fingerprints live only in memory; the visible object carries a fixed marker instead.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../build/index.js';
import { digestBytes, type SealedIndex } from '../agent/decrypt/sources.js';
import { SCOPE_ANNOTATION } from '../formats/sops/scope.js';
import { isRecord } from '../util/record.js';

/** What replaces a sealed value in the visible object. */
export const SEALED_VALUE = '<sealed>';
/** What replaces a value of a Secret that is not sealed. */
export const HIDDEN_VALUE = '<hidden>';

/** How a key's value is compared. */
export type SealedFormat = 'sops' | 'sealedsecret' | 'generated' | 'unsealed' | 'live-decrypted' | 'live-digest';

/** One object as a review sees it. */
export interface ObjectView {
  /** The object with every secret value replaced by a marker and the `sops` block removed. */
  readonly visible: KubeObject;
  /** Secret keys by name, each with its in-memory fingerprint (never printed). */
  readonly keys: ReadonlyMap<string, { readonly format: SealedFormat; readonly fingerprint: string }>;
}

const ENC_PREFIX = 'ENC[AES256_GCM,';

function rec(v: unknown): Record<string, unknown> | undefined {
  return isRecord(v) ? v : undefined;
}

function isSecret(o: KubeObject): boolean {
  return o.kind === 'Secret' && o.apiVersion === 'v1';
}

/** Replaces every ENC leaf of `value` with the marker, recording each under its dotted path. */
function sealLeaves(value: unknown, path: string[], found: (path: string[], enc: string) => void): unknown {
  if (typeof value === 'string' && value.startsWith(ENC_PREFIX)) {
    found(path, value);
    return SEALED_VALUE;
  }
  if (Array.isArray(value)) return value.map((v, i) => sealLeaves(v, [...path, String(i)], found));
  const r = rec(value);
  if (!r) return value;
  return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, sealLeaves(v, [...path, k], found)]));
}

/** The name a key is listed under: a Secret's data key by itself, any other field by its path. */
function keyName(obj: KubeObject, path: readonly string[], taken: ReadonlyMap<string, unknown>): string {
  if (isSecret(obj) && path.length === 2 && (path[0] === 'data' || path[0] === 'stringData') && !taken.has(path[1]!)) return path[1]!;
  return path.join('.');
}

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** Splits `obj` into its visible part and its secret keys; `index` finds generator sources. */
export function viewObject(obj: KubeObject, index: SealedIndex): ObjectView {
  const keys = new Map<string, { format: SealedFormat; fingerprint: string }>();
  let visible: Record<string, unknown> = { ...obj };
  if (rec(visible.sops)) {
    delete visible.sops;
    // The scope binding is metadata, not a secret key: it changes only with the namespace or name,
    // which the object's own diff shows.
    const isBinding = (path: readonly string[]): boolean => path.length === 3 && path[0] === 'metadata' && path[1] === 'annotations' && path[2] === SCOPE_ANNOTATION;
    visible = sealLeaves(visible, [], (path, enc) => {
      if (!isBinding(path)) keys.set(keyName(obj, path, keys), { format: 'sops', fingerprint: enc });
    }) as Record<string, unknown>;
  }
  if (obj.kind === 'SealedSecret' && obj.apiVersion.startsWith('bitnami.com/')) {
    const spec = rec(visible.spec);
    const enc = rec(spec?.encryptedData);
    if (spec && enc) {
      const masked: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(enc)) {
        keys.set(k, { format: 'sealedsecret', fingerprint: typeof v === 'string' ? v : JSON.stringify(v) });
        masked[k] = SEALED_VALUE;
      }
      visible = { ...visible, spec: { ...spec, encryptedData: masked } };
    }
  }
  if (isSecret(obj)) visible = hideSecretValues(visible, obj, index, keys);
  return { visible: visible as KubeObject, keys };
}

function hideSecretValues(visible: Record<string, unknown>, obj: KubeObject, index: SealedIndex, keys: Map<string, { format: SealedFormat; fingerprint: string }>): Record<string, unknown> {
  const out = { ...visible };
  const usedEnvMeta = new Map<string, string>();
  for (const field of ['data', 'stringData'] as const) {
    const entries = rec(out[field]);
    if (!entries) continue;
    const masked: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entries)) {
      if (v === SEALED_VALUE) {
        masked[k] = v;
        continue;
      }
      const text = typeof v === 'string' ? v : JSON.stringify(v ?? null);
      const name = keyName(obj, [field, k], keys);
      const bytes = field === 'data' ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
      const env = index.envValues.get(bytes.toString('utf8'));
      const whole = env ? undefined : index.wholeFiles.get(digestBytes(bytes));
      if (text === '') {
        // sops leaves empty strings unencrypted: nothing to hide, and not a sign of a missing seal.
        keys.set(name, { format: rec(obj.sops) ? 'sops' : 'unsealed', fingerprint: '' });
        masked[k] = '';
        continue;
      }
      if (env) {
        for (const [mk, mv] of env.env.meta) usedEnvMeta.set(mk, mv);
        keys.set(name, { format: 'generated', fingerprint: bytes.toString('utf8') });
      } else if (whole) {
        keys.set(name, { format: 'generated', fingerprint: digestBytes(bytes) });
      } else {
        keys.set(name, { format: 'unsealed', fingerprint: sha256(text) });
      }
      masked[k] = env || whole ? SEALED_VALUE : HIDDEN_VALUE;
    }
    out[field] = masked;
  }
  // The `sops_*` lines a generator copied from a sealed dotenv are metadata, not keys: the
  // agent drops them too, and they change on every re-seal.
  const data = rec(out.data);
  const raw = rec(obj.data);
  if (data && raw && usedEnvMeta.size) {
    for (const [mk, mv] of usedEnvMeta) {
      if (typeof raw[mk] === 'string' && Buffer.from(raw[mk], 'base64').toString('utf8') === mv) {
        delete data[mk];
        keys.delete(mk);
      }
    }
  }
  return out;
}
