/** Recognising Kubernetes Secrets among parsed manifests. */
import { isRecord } from '../util/record.js';

/** True when `doc` is a core/v1 Secret (what gets `encrypted_regex: ^(data|stringData)$`). */
export function isKubernetesSecret(doc: unknown): boolean {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const o = doc as Record<string, unknown>;
  return o.kind === 'Secret' && (o.apiVersion === 'v1' || o.apiVersion === undefined);
}

/** The documents one parsed document stands for: the items of a `List`, else the document itself. */
export function listItems(doc: unknown): unknown[] {
  return isRecord(doc) && doc.kind === 'List' && Array.isArray(doc.items) ? (doc.items as unknown[]) : [doc];
}

/** The `namespace/name` of a manifest, for messages (`?` where missing). */
export function manifestRef(doc: unknown): string {
  if (doc === null || typeof doc !== 'object') return '?';
  const meta = (doc as Record<string, unknown>).metadata;
  if (meta === null || typeof meta !== 'object') return '?';
  const m = meta as Record<string, unknown>;
  const name = typeof m.name === 'string' ? m.name : '?';
  return typeof m.namespace === 'string' ? `${m.namespace}/${name}` : name;
}

/** Annotations kubectl and kubecfg write with the whole object as last applied: a Secret's values included. */
export const LAST_APPLIED_ANNOTATIONS: readonly string[] = ['kubectl.kubernetes.io/last-applied-configuration', 'kubecfg.ksonnet.io/last-applied-configuration'];

/**
 * True when a last-applied annotation's text holds Secret values in clear: a JSON object whose
 * `data` or `stringData` has a non-empty value that is not a SOPS envelope. Text that is not
 * JSON is judged as holding values (it cannot be shown not to).
 */
export function lastAppliedHoldsValues(text: string): boolean {
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch {
    return text.trim() !== '';
  }
  if (obj === null || typeof obj !== 'object') return false;
  const o = obj as Record<string, unknown>;
  return [o.data, o.stringData].some(
    (m) => m !== null && typeof m === 'object' && Object.values(m).some((v) => typeof v === 'string' && v !== '' && !v.startsWith('ENC[')),
  );
}
