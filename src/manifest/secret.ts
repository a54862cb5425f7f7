/** Recognising Kubernetes Secrets among parsed manifests. */

/** True when `doc` is a core/v1 Secret (what gets `encrypted_regex: ^(data|stringData)$`). */
export function isKubernetesSecret(doc: unknown): boolean {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const o = doc as Record<string, unknown>;
  return o.kind === 'Secret' && (o.apiVersion === 'v1' || o.apiVersion === undefined);
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
