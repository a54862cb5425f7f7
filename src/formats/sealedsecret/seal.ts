/**
 * Secret → SealedSecret, as kubeseal does it (`kubeseal.Seal` + `v1alpha1.NewSealedSecret`):
 * each `data`/`stringData` entry sealed on its own with the cluster's public key, the
 * Secret's metadata (minus server-side and last-applied fields) kept in `spec.template`, and
 * the scope written as annotations on both the template and the SealedSecret itself.
 */
import type { KeyObject } from 'node:crypto';
import { hybridEncrypt, scopeLabel, type SealingScope } from '../../crypto/rsa-oaep.js';
import { InputError } from '../../errors.js';
import {
  SEALED_SECRET_API_VERSION,
  scopeFromAnnotations,
  withScopeAnnotations,
  type SealedSecretMeta,
  type SealedSecret,
} from './types.js';
import { isRecord, isStrictBase64 } from './util.js';

/** Options of {@link sealSecret}. */
export interface SealSecretOptions {
  /** Scope to seal for; when absent, the Secret's own scope annotations decide (strict if none). */
  readonly scope?: SealingScope;
  /** Seal a Secret with no data (kubeseal's `--allow-empty-data`). */
  readonly allowEmptyData?: boolean;
  /** What the input is called in messages. */
  readonly source?: string;
}

// Set by the API server; meaningless (and noisy in diffs) in a sealed manifest.
const SERVER_FIELDS = [
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'generation',
  'resourceVersion',
  'selfLink',
  'uid',
  'managedFields',
  'ownerReferences',
];

// These hold a full copy of the object as last applied, plaintext values included.
const LAST_APPLIED = ['kubectl.kubernetes.io/last-applied-configuration', 'kubecfg.ksonnet.io/last-applied-configuration'];

/** The plaintext entries of a Secret manifest, checked: `data` decoded, `stringData` winning on overlap. */
export function secretPlaintextEntries(secret: Record<string, unknown>, source = '<input>'): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  const { data, stringData } = secret;
  if (data !== undefined && data !== null) {
    if (!isRecord(data)) throw new InputError(`failed to read Secret in ${source}: data must be a map`);
    for (const [key, value] of Object.entries(data)) {
      checkKeyName(key, source);
      const compact = typeof value === 'string' ? value.replace(/\s+/g, '') : undefined;
      if (compact === undefined || !isStrictBase64(compact)) {
        throw new InputError(`failed to read Secret in ${source}: data.${key} is not base64`, {
          hint: 'put plain text under stringData instead of data',
        });
      }
      entries.set(key, Buffer.from(compact, 'base64'));
    }
  }
  if (stringData !== undefined && stringData !== null) {
    if (!isRecord(stringData)) throw new InputError(`failed to read Secret in ${source}: stringData must be a map`);
    for (const [key, value] of Object.entries(stringData)) {
      checkKeyName(key, source);
      if (typeof value !== 'string') {
        throw new InputError(`failed to read Secret in ${source}: stringData.${key} must be a string`, {
          hint: 'quote the value in YAML',
        });
      }
      entries.set(key, Buffer.from(value, 'utf8'));
    }
  }
  return entries;
}

/**
 * Seals one Secret manifest. Throws {@link InputError} when it is not a Secret, has no name,
 * no namespace (unless cluster-wide) or no data (unless allowed).
 */
export function sealSecret(secret: unknown, publicKey: KeyObject, options: SealSecretOptions = {}): SealedSecret {
  const source = options.source ?? '<input>';
  if (!isRecord(secret) || secret.kind !== 'Secret' || (secret.apiVersion !== undefined && secret.apiVersion !== 'v1')) {
    throw new InputError(`failed to seal ${source}: expected a v1 Secret manifest`);
  }
  const metadata = isRecord(secret.metadata) ? secret.metadata : {};
  const name = metadata.name;
  if (typeof name !== 'string' || name === '') throw new InputError(`failed to seal ${source}: the Secret has no metadata.name`);
  const where = `Secret ${name} in ${source}`;
  const entries = secretPlaintextEntries(secret, source);
  if (entries.size === 0 && !options.allowEmptyData) {
    throw new InputError(`failed to seal ${where}: data and stringData are empty`);
  }
  const template = templateMetadata(metadata, where);
  dropLeakingMetadata(template, entries);
  if (options.scope !== undefined) template.annotations = withScopeAnnotations(template.annotations, options.scope);
  if (template.annotations && Object.keys(template.annotations).length === 0) delete template.annotations;
  const scope = scopeFromAnnotations(template.annotations);
  const namespace = typeof template.namespace === 'string' ? template.namespace : '';
  if (scope !== 'cluster-wide' && namespace === '') {
    throw new InputError(`failed to seal ${where}: the Secret has no metadata.namespace`, {
      hint: 'set metadata.namespace, or seal with --scope cluster-wide',
    });
  }

  const label = scopeLabel(scope, namespace, name);
  const encryptedData: Record<string, string> = {};
  for (const key of [...entries.keys()].sort()) {
    encryptedData[key] = hybridEncrypt(publicKey, entries.get(key)!, label).toString('base64');
  }

  const ownMeta: SealedSecret['metadata'] = { name };
  if (namespace !== '') ownMeta.namespace = namespace;
  const ownAnnotations = withScopeAnnotations(undefined, scope);
  if (Object.keys(ownAnnotations).length > 0) ownMeta.annotations = ownAnnotations;

  const spec: SealedSecret['spec'] = { encryptedData, template: { metadata: template } };
  if (typeof secret.type === 'string' && secret.type !== '') spec.template.type = secret.type;
  if (typeof secret.immutable === 'boolean') spec.template.immutable = secret.immutable;
  return { apiVersion: SEALED_SECRET_API_VERSION, kind: 'SealedSecret', metadata: ownMeta, spec };
}

function templateMetadata(metadata: Record<string, unknown>, where: string): SealedSecretMeta {
  const copy = structuredClone(metadata) as SealedSecretMeta;
  for (const field of SERVER_FIELDS) delete copy[field];
  for (const field of ['labels', 'annotations'] as const) {
    const value = copy[field];
    if (value === undefined || value === null) {
      delete copy[field];
      continue;
    }
    if (!isRecord(value) || Object.values(value).some((v) => typeof v !== 'string')) {
      throw new InputError(`failed to seal ${where}: metadata.${field} must map names to strings`);
    }
  }
  if (copy.annotations) for (const key of LAST_APPLIED) delete copy.annotations[key];
  if (copy.namespace !== undefined && typeof copy.namespace !== 'string') {
    throw new InputError(`failed to seal ${where}: metadata.namespace must be a string`);
  }
  return copy;
}

/** Drops template labels and annotations whose value holds one of the Secret's values (≥ 4 bytes): they stay readable. */
function dropLeakingMetadata(template: SealedSecretMeta, entries: ReadonlyMap<string, Uint8Array>): void {
  const values = [...entries.values()].map((v) => Buffer.from(v).toString('utf8')).filter((v) => v.length >= 4);
  for (const field of ['labels', 'annotations'] as const) {
    const map = template[field];
    if (!map) continue;
    for (const [k, v] of Object.entries(map)) if (typeof v === 'string' && values.some((s) => v.includes(s))) delete map[k];
    if (Object.keys(map).length === 0) delete template[field];
  }
}

function checkKeyName(key: string, source: string): void {
  // The API server's rule for Secret keys; a bad key would only fail later, in the cluster.
  if (!/^[-._a-zA-Z0-9]+$/.test(key) || key.length > 253) {
    throw new InputError(`failed to read Secret in ${source}: key "${key}" is not a valid Secret key`);
  }
}
