/**
 * Unsealing the three kinds of sealed object a build can hold, each checked against its
 * verified sealed source and its scope:
 * - a SOPS-sealed object (a `resources:` entry, maybe renamed, relabelled or moved by transformers);
 * - a SealedSecret (the OAEP label binds its scope; unsealed under its final name and namespace);
 * - a Secret that a `secretGenerator` made from SOPS-sealed `envs:` or `files:`.
 *
 * The scope rule under transformers (README, "Scope under transformers"): a SOPS object whose
 * verified source names a namespace (or whose encrypted `sealops.dev/scope` annotation names a
 * namespace and/or name) must land exactly there; one sealed without them may be placed by the
 * overlay. SealedSecrets follow the same rule through their label. Generator sources carry no
 * metadata, so their Secret lands where the overlay puts it.
 */
import type { KeyObject } from 'node:crypto';
import { DecryptError, ScopeError } from '../../errors.js';
import { unsealSealedSecret } from '../../formats/sealedsecret/index.js';
// The annotation holding a SOPS Secret's sealed scope (`namespace/name`, either part may be empty).
import { parseScope, SCOPE_ANNOTATION } from '../../formats/sops/index.js';
import type { KubeObject, Manifest } from '../../build/index.js';
import { digestBytes, type SealedEnv, type SealedIndex, type SourceOpener } from './sources.js';
import { asRecord as rec } from '../../util/record.js';

export { SCOPE_ANNOTATION };
/** What `sealops build` shows instead of a sealed value when it has no key. */
export const SEALED_MARKER = '<sealed>';

const ENC_PREFIX = 'ENC[AES256_GCM,';

/** A label for messages: file, kind and final namespace/name. */
export function where(m: Manifest): string {
  const o = m.object;
  return `${m.file} (${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name})`;
}

/** Adds a plaintext value (and, for base64 `data`, its decoded form) to the redaction list. */
function collect(value: unknown, out: string[], base64: boolean): void {
  if (typeof value === 'string') {
    out.push(value);
    if (base64) out.push(Buffer.from(value, 'base64').toString('utf8'));
  } else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') out.push(String(value));
}

/** Every `ENC[…]` leaf of `value` with its path (the `sops` block excluded). */
function encLeaves(value: unknown, path: string[] = [], out = new Map<string, { path: string[]; enc: string }>()): Map<string, { path: string[]; enc: string }> {
  if (typeof value === 'string' && value.startsWith(ENC_PREFIX)) out.set(JSON.stringify(path), { path, enc: value });
  else if (Array.isArray(value)) value.forEach((v, i) => encLeaves(v, [...path, String(i)], out));
  else if (rec(value)) for (const [k, v] of Object.entries(value as object)) if (!(path.length === 0 && k === 'sops')) encLeaves(v, [...path, k], out);
  return out;
}

function isScopeLeaf(path: readonly string[]): boolean {
  return path.length === 3 && path[0] === 'metadata' && path[1] === 'annotations' && path[2] === SCOPE_ANNOTATION;
}

function at(value: unknown, path: readonly string[]): unknown {
  let cur = value;
  for (const p of path) cur = Array.isArray(cur) ? cur[Number(p)] : rec(cur)?.[p];
  return cur;
}

function setAt(root: Record<string, unknown>, path: readonly string[], v: unknown): void {
  let cur: unknown = root;
  for (const p of path.slice(0, -1)) cur = Array.isArray(cur) ? cur[Number(p)] : rec(cur)![p];
  const last = path[path.length - 1]!;
  if (Array.isArray(cur)) cur[Number(last)] = v;
  else rec(cur)![last] = v;
}

/** What the stage accepts beyond the default scope rule. */
export interface ScopePolicy {
  /** Accept a SOPS Secret without a scope binding (sealed by plain sops), reported to `warn`. */
  readonly allowUnbound: boolean;
  readonly warn?: (message: string) => void;
}

/**
 * Throws unless the final namespace/name satisfy the scope the verified source was sealed for.
 * Only an encrypted annotation binds (its AAD is its path and the MAC covers it); its plaintext
 * comes from `plain`. A Secret without one is refused unless the Sync allows unbound Secrets;
 * then the namespace its source names (not authenticated: sops's MAC does not cover key names)
 * still holds as a guard against mistakes.
 */
function checkScope(m: Manifest, sealed: Record<string, unknown>, plain: Record<string, unknown> | undefined, sourceFile: string, policy: ScopePolicy): void {
  const sealedScope = rec(rec(sealed.metadata)?.annotations)?.[SCOPE_ANNOTATION];
  const bound = typeof sealedScope === 'string' && sealedScope.startsWith(ENC_PREFIX);
  let ns: string | undefined;
  let name: string | undefined;
  if (bound) {
    // Without keys (`sealops build` redacting) the binding cannot be read; nothing is unsealed either.
    if (!plain) return;
    const scope = rec(rec(plain.metadata)?.annotations)?.[SCOPE_ANNOTATION];
    if (typeof scope !== 'string') throw new ScopeError(`failed to decrypt ${where(m)}: the ${SCOPE_ANNOTATION} binding of ${sourceFile} is missing after decryption`);
    ({ namespace: ns, name } = parseScope(scope));
  } else if (m.object.kind === 'Secret' && plain) {
    if (!policy.allowUnbound) {
      throw new ScopeError(`failed to decrypt ${where(m)}: ${sourceFile} carries no ${SCOPE_ANNOTATION} binding (sealed by plain sops?), so its namespace and name are not authenticated`, {
        hint: 'seal it again with `sealops seal` or `sealops rotate`, or set spec.decryption.allowUnbound: true on the Sync',
      });
    }
    policy.warn?.(`accepted unbound Secret ${where(m)} from ${sourceFile}: spec.decryption.allowUnbound is set; its namespace and name are not authenticated`);
  }
  if (!bound) {
    const meta = rec((plain ?? sealed).metadata) ?? {};
    if (typeof meta.namespace === 'string') ns = meta.namespace;
  }
  const final = m.object.metadata;
  if (ns && final.namespace !== ns) {
    throw new ScopeError(`failed to decrypt ${where(m)}: ${sourceFile} was sealed for namespace ${ns} and may not be moved to ${final.namespace ?? 'no namespace'} (scope)`);
  }
  if (name && final.name !== name) throw new ScopeError(`failed to decrypt ${where(m)}: ${sourceFile} was sealed for name ${name} and may not be renamed to ${final.name} (scope)`);
}

/** The applied object does not carry the binding (as `sealops unseal` shows it): it served its purpose here. */
function dropBinding(obj: Record<string, unknown>): void {
  const meta = rec(obj.metadata);
  const ann = rec(meta?.annotations);
  if (!meta || !ann || !(SCOPE_ANNOTATION in ann)) return;
  const { [SCOPE_ANNOTATION]: _scope, ...others } = ann;
  if (Object.keys(others).length > 0) meta.annotations = others;
  else delete meta.annotations;
}

/**
 * Unseals a SOPS-sealed object: every `ENC[…]` value must reach the build unchanged at the path
 * where it was sealed; each is replaced with its plaintext from the verified source, and the
 * rest of the object keeps what the transformers made of it. `opener` null redacts instead.
 */
export async function openSopsObject(m: Manifest, index: SealedIndex, opener: SourceOpener | null, secrets: string[], policy: ScopePolicy = { allowUnbound: false }): Promise<KubeObject> {
  const mac = rec((m.object as Record<string, unknown>).sops)?.mac;
  const src = typeof mac === 'string' ? index.docs.get(mac) : undefined;
  if (!src) throw new DecryptError(`failed to decrypt ${where(m)}: it does not come unchanged from a sealed file of the repository`);
  const sealedLeaves = encLeaves(src.sealed);
  const builtLeaves = encLeaves(m.object);
  for (const [key, leaf] of sealedLeaves) {
    if (builtLeaves.get(key)?.enc !== leaf.enc) throw new DecryptError(`failed to decrypt ${where(m)}: a transformer changed or removed the sealed value ${leaf.path.join('.')} of ${src.file}`);
  }
  for (const [key, leaf] of builtLeaves) {
    if (!sealedLeaves.has(key)) throw new DecryptError(`failed to decrypt ${where(m)}: sealed value ${leaf.path.join('.')} is not where ${src.file} sealed it`);
  }
  const plainDoc = opener ? rec((await opener.docs(index.files.get(src.file)!))[src.index]) : undefined;
  if (opener && !plainDoc) throw new DecryptError(`failed to decrypt ${where(m)}: the document is missing from ${src.file} after decryption`);
  checkScope(m, src.sealed, plainDoc, src.file, policy);
  const { sops: _drop, ...rest } = structuredClone(m.object) as Record<string, unknown>;
  for (const leaf of sealedLeaves.values()) {
    const plain = plainDoc ? at(plainDoc, leaf.path) : SEALED_MARKER;
    // The binding is a namespace/name, not a secret: redacting it would blank every message naming the Secret.
    if (plainDoc && !isScopeLeaf(leaf.path)) collect(plain, secrets, leaf.path[0] === 'data');
    setAt(rest, leaf.path, plain);
  }
  dropBinding(rest);
  return rest as KubeObject;
}

/** Unseals a SealedSecret under its final name and namespace: the OAEP label refuses any other scope. */
export function openSealedSecret(m: Manifest, rsaKeys: readonly KeyObject[] | null, secrets: string[]): KubeObject {
  const ns = m.object.metadata.namespace;
  if (!ns) throw new DecryptError(`failed to unseal ${where(m)}: a SealedSecret must have a namespace`);
  const spec = rec((m.object as Record<string, unknown>).spec);
  const template = rec(spec?.template) ?? {};
  if (rsaKeys === null) {
    const data = Object.fromEntries(Object.keys(rec(spec?.encryptedData) ?? {}).map((k) => [k, SEALED_MARKER]));
    return { ...template, apiVersion: 'v1', kind: 'Secret', metadata: { ...rec(template.metadata), name: m.object.metadata.name, namespace: ns }, data };
  }
  if (rsaKeys.length === 0) throw new DecryptError(`failed to unseal ${where(m)}: no RSA key in the decryption keys`);
  let secret: Record<string, unknown>;
  try {
    secret = unsealSealedSecret(m.object, [...rsaKeys]) as unknown as Record<string, unknown>;
  } catch {
    // The label is namespace/name (strict) or namespace (namespace-wide): a moved or renamed one fails here.
    throw new DecryptError(`failed to unseal ${where(m)}: no key opens it under this namespace and name (a SealedSecret lands only where its scope allows)`);
  }
  for (const v of Object.values(rec(secret.data) ?? {})) collect(v, secrets, true);
  for (const v of Object.values(rec(secret.stringData) ?? {})) collect(v, secrets, false);
  return { ...secret, metadata: { ...rec(secret.metadata), name: m.object.metadata.name, namespace: ns } } as KubeObject;
}

/** True when a Secret holds a value kustomize generated from a sealed source. */
export function isGeneratedFromSealed(obj: KubeObject, index: SealedIndex): boolean {
  if (obj.kind !== 'Secret' || obj.apiVersion !== 'v1') return false;
  return Object.values(rec(obj.data) ?? {}).some((v) => typeof v === 'string' && sealedSourceOf(v, index) !== undefined);
}

function sealedSourceOf(b64: string, index: SealedIndex): 'env' | 'file' | undefined {
  const bytes = Buffer.from(b64, 'base64');
  if (index.envValues.has(bytes.toString('utf8'))) return 'env';
  return index.wholeFiles.has(digestBytes(bytes)) ? 'file' : undefined;
}

/**
 * Replaces the values of a generated Secret that came from sealed sources with their plaintext.
 * A dotenv value is found by its exact ciphertext and must keep the key it was sealed under; the
 * `sops_*` lines kustomize copied from a source used here are dropped. The name (and kustomize's
 * hash suffix, computed over the sealed text) and the references to it stay as kustomize made them.
 */
export async function openGeneratedSecret(m: Manifest, index: SealedIndex, opener: SourceOpener | null, secrets: string[]): Promise<KubeObject> {
  const data: Record<string, unknown> = { ...rec(m.object.data) };
  const usedEnvs = new Set<SealedEnv>();
  for (const [key, value] of Object.entries(data)) {
    if (typeof value !== 'string') continue;
    const bytes = Buffer.from(value, 'base64');
    const env = index.envValues.get(bytes.toString('utf8'));
    if (env) {
      if (env.key !== key) throw new DecryptError(`failed to decrypt ${where(m)}: key ${key} holds the value sealed as ${env.key} in ${env.env.file}`);
      usedEnvs.add(env.env);
      const plain = opener ? (await opener.env(index.files.get(env.env.file)!)).get(key) : SEALED_MARKER;
      if (plain === undefined) throw new DecryptError(`failed to decrypt ${where(m)}: ${key} is missing from ${env.env.file} after decryption`);
      if (opener) secrets.push(plain);
      data[key] = opener ? Buffer.from(plain, 'utf8').toString('base64') : SEALED_MARKER;
      continue;
    }
    const whole = index.wholeFiles.get(digestBytes(bytes));
    if (whole) {
      const plain = opener ? await opener.whole(whole) : undefined;
      if (plain) {
        const text = plain.toString('utf8');
        secrets.push(text, ...text.split('\n').filter((l) => l.trim().length >= 4));
      }
      data[key] = plain ? plain.toString('base64') : SEALED_MARKER;
    }
  }
  for (const env of usedEnvs) {
    for (const [k, v] of env.meta) if (typeof data[k] === 'string' && Buffer.from(data[k], 'base64').toString('utf8') === v) delete data[k];
  }
  return { ...m.object, data };
}
