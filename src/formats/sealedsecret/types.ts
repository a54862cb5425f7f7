/**
 * Shapes of the objects the SealedSecret format reads and writes: the `v1` Secret that goes
 * in or comes out, and the `bitnami.com/v1alpha1` SealedSecret (controller API types in
 * `pkg/apis/sealedsecrets/v1alpha1/types.go`).
 */
import type { SealingScope } from '../../crypto/rsa-oaep.js';

/** Object metadata as manifests carry it; unknown fields pass through. */
export interface SealedSecretMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [field: string]: unknown;
}

/** A plain `v1` Secret manifest (`data` is base64, `stringData` plain text). */
export interface SecretManifest {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: SealedSecretMeta & { name: string };
  type?: string;
  immutable?: boolean;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

/** `spec.template` of a SealedSecret: what the controller copies onto the Secret it creates. */
export interface SecretTemplateSpec {
  metadata: SealedSecretMeta;
  type?: string;
  immutable?: boolean;
  /** Plain (unencrypted) entries; null removes a key. Values may be Go templates. */
  data?: Record<string, string | null>;
}

/** A `bitnami.com/v1alpha1` SealedSecret. */
export interface SealedSecret {
  apiVersion: 'bitnami.com/v1alpha1';
  kind: 'SealedSecret';
  metadata: SealedSecretMeta & { name: string };
  spec: {
    encryptedData: Record<string, string>;
    template: SecretTemplateSpec;
  };
}

/** The API group/version the controller serves. */
export const SEALED_SECRET_API_VERSION = 'bitnami.com/v1alpha1';

/** Annotation that widens a SealedSecret to every name in its namespace. */
export const NAMESPACE_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/namespace-wide';
/** Annotation that widens a SealedSecret to any namespace and name. */
export const CLUSTER_WIDE_ANNOTATION = 'sealedsecrets.bitnami.com/cluster-wide';

/** Scope of an object from its annotations, as the controller reads them (cluster-wide wins). */
export function scopeFromAnnotations(annotations: Record<string, unknown> | undefined): SealingScope {
  if (annotations?.[CLUSTER_WIDE_ANNOTATION] === 'true') return 'cluster-wide';
  if (annotations?.[NAMESPACE_WIDE_ANNOTATION] === 'true') return 'namespace-wide';
  return 'strict';
}

/**
 * Annotations rewritten to express `scope`, the way the controller's `UpdateScopeAnnotations`
 * does: both scope annotations removed, then the one for the scope (if any) set to "true".
 */
export function withScopeAnnotations(
  annotations: Record<string, string> | undefined,
  scope: SealingScope,
): Record<string, string> {
  const out: Record<string, string> = { ...(annotations ?? {}) };
  delete out[NAMESPACE_WIDE_ANNOTATION];
  delete out[CLUSTER_WIDE_ANNOTATION];
  if (scope === 'namespace-wide') out[NAMESPACE_WIDE_ANNOTATION] = 'true';
  if (scope === 'cluster-wide') out[CLUSTER_WIDE_ANNOTATION] = 'true';
  return out;
}
