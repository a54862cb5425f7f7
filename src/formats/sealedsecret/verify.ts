/**
 * Structural checks of a SealedSecret without keys (shape, scope, every value a well-formed
 * envelope) and, given keys, a full check that every value opens.
 */
import { literalTemplateKeys } from './template-data.js';
import type { KeyObject } from 'node:crypto';
import { hybridDecrypt, parseHybridEnvelope, scopeLabel } from '../../crypto/rsa-oaep.js';
import { InputError, describe } from '../../errors.js';
import {
  CLUSTER_WIDE_ANNOTATION,
  NAMESPACE_WIDE_ANNOTATION,
  SEALED_SECRET_API_VERSION,
  scopeFromAnnotations,
  type SealedSecret,
} from './types.js';
import { isRecord, isStrictBase64 } from './util.js';

/**
 * Checks that `obj` has the shape of a SealedSecret sealops can work with and returns it
 * typed (template metadata defaulted to `{}`). Throws {@link InputError} naming the first
 * problem.
 */
export function checkSealedSecretShape(obj: unknown, what = 'SealedSecret'): SealedSecret {
  const fail = (why: string, hint?: string): never => {
    throw new InputError(`failed to read ${what}: ${why}`, hint === undefined ? undefined : { hint });
  };
  if (!isRecord(obj) || obj.kind !== 'SealedSecret') return fail('kind is not SealedSecret');
  if (obj.apiVersion !== SEALED_SECRET_API_VERSION) return fail(`apiVersion ${String(obj.apiVersion)} is not ${SEALED_SECRET_API_VERSION}`);
  const meta = obj.metadata;
  if (!isRecord(meta) || typeof meta.name !== 'string' || meta.name === '') return fail('metadata.name is missing');
  if (meta.namespace !== undefined && meta.namespace !== null && typeof meta.namespace !== 'string') {
    return fail('metadata.namespace is not a string');
  }
  if (meta.annotations !== undefined && meta.annotations !== null && !isStringMap(meta.annotations)) {
    return fail('metadata.annotations must map names to strings');
  }
  const annotations = isRecord(meta.annotations) ? meta.annotations : undefined;
  if (scopeFromAnnotations(annotations) !== 'cluster-wide' && (typeof meta.namespace !== 'string' || meta.namespace === '')) {
    return fail('metadata.namespace is missing (only a cluster-wide SealedSecret may omit it)');
  }
  const spec = obj.spec;
  if (!isRecord(spec)) return fail('spec is missing');
  if (spec.data !== undefined && spec.data !== null) {
    return fail('spec.data (the pre-0.7 single-blob format) is not supported', 're-seal the Secret with a current kubeseal or sealops');
  }
  const enc = spec.encryptedData;
  if (!isRecord(enc)) return fail('spec.encryptedData is missing');
  for (const [key, value] of Object.entries(enc)) {
    if (typeof value !== 'string' || value === '' || !isStrictBase64(value)) {
      return fail(`spec.encryptedData.${key} is not base64`);
    }
  }
  const template = spec.template;
  if (!isRecord(template)) {
    return fail('spec.template is missing', 'the controller needs spec.template to build the Secret; re-seal it');
  }
  if (template.metadata !== undefined && template.metadata !== null && !isRecord(template.metadata)) {
    return fail('spec.template.metadata is not a map');
  }
  const tmeta = isRecord(template.metadata) ? template.metadata : {};
  for (const field of ['labels', 'annotations']) {
    const v = tmeta[field];
    if (v !== undefined && v !== null && !isStringMap(v)) return fail(`spec.template.metadata.${field} must map names to strings`);
  }
  if (template.type !== undefined && template.type !== null && typeof template.type !== 'string') return fail('spec.template.type is not a string');
  if (template.immutable !== undefined && template.immutable !== null && typeof template.immutable !== 'boolean') {
    return fail('spec.template.immutable is not a boolean');
  }
  if (template.data !== undefined && template.data !== null) {
    if (!isRecord(template.data) || Object.values(template.data).some((v) => v !== null && typeof v !== 'string')) {
      return fail('spec.template.data must map names to strings');
    }
  }
  const out = structuredClone(obj) as unknown as SealedSecret;
  out.spec.template.metadata = structuredClone(tmeta);
  return out;
}

/** Result of {@link verifySealedSecret}. */
export interface SealedSecretVerification {
  readonly ok: boolean;
  /** Every problem found, one line each; never a secret value. */
  readonly problems: string[];
  /** Number of values opened with the keys (0 without keys). */
  readonly opened: number;
}

/**
 * Verifies a SealedSecret. Without keys: its shape, that the template's name, namespace and
 * scope agree with the SealedSecret's own, and that every value is a well-formed envelope.
 * With keys: also that every value opens for this name, namespace and scope.
 */
export function verifySealedSecret(obj: unknown, privateKeys: readonly KeyObject[] = []): SealedSecretVerification {
  let sealed: SealedSecret;
  try {
    sealed = checkSealedSecretShape(obj);
  } catch (err) {
    return { ok: false, problems: [describe(err)], opened: 0 };
  }
  const problems: string[] = [];
  const { name } = sealed.metadata;
  const namespace = sealed.metadata.namespace ?? '';
  const scope = scopeFromAnnotations(sealed.metadata.annotations);
  const tmeta = sealed.spec.template.metadata;
  if (tmeta.name !== undefined && tmeta.name !== name) {
    problems.push(`spec.template.metadata.name ${String(tmeta.name)} differs from metadata.name ${name}`);
  }
  if (tmeta.namespace !== undefined && tmeta.namespace !== namespace) {
    problems.push(`spec.template.metadata.namespace ${String(tmeta.namespace)} differs from metadata.namespace ${namespace}`);
  }
  for (const ann of [NAMESPACE_WIDE_ANNOTATION, CLUSTER_WIDE_ANNOTATION]) {
    const own = sealed.metadata.annotations?.[ann];
    const tpl = tmeta.annotations?.[ann];
    if (tpl !== undefined && tpl !== own) problems.push(`annotation ${ann} on spec.template differs from the SealedSecret's own`);
  }
  const keys = Object.keys(sealed.spec.encryptedData).sort();
  if (keys.length === 0) problems.push('spec.encryptedData is empty');
  const label = scopeLabel(scope, namespace, name);
  let opened = 0;
  for (const key of keys) {
    const raw = Buffer.from(sealed.spec.encryptedData[key]!, 'base64');
    try {
      parseHybridEnvelope(raw);
      if (privateKeys.length > 0) {
        hybridDecrypt(privateKeys, raw, label).fill(0);
        opened++;
      }
    } catch (err) {
      problems.push(`spec.encryptedData.${key}: ${describe(err).replace(/^failed to [a-z ]+: /, '')}`);
    }
  }
  for (const key of literalTemplateKeys(sealed.spec.template.data)) problems.push(`spec.template.data.${key} is a plaintext value beside sealed ones`);
  return { ok: problems.length === 0, problems, opened };
}

function isStringMap(v: unknown): boolean {
  return isRecord(v) && Object.values(v).every((x) => typeof x === 'string');
}
