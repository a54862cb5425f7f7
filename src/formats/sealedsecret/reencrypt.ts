/**
 * A SealedSecret re-encrypted to a newer cluster key, as the controller's `/v1/rotate` does for
 * `kubeseal --re-encrypt`, but without ever widening a value's scope.
 *
 * The scope of every value is the one its ciphertext was made for: the OAEP label is
 * authenticated, so a value opens only under the label it was sealed with. That label is taken
 * from the SealedSecret's own metadata (name, namespace, scope annotations), never from
 * `spec.template.metadata`: the sealed-secrets rotate endpoint once took the scope from the
 * template's annotations, so a strict SealedSecret submitted with a template claiming
 * cluster-wide came back cluster-wide and could be moved anywhere (CVE-2026-22728). Here each
 * value is opened with its original label and sealed again with exactly that label; a template
 * that claims another scope is refused; the output carries the same scope on both.
 */
import type { KeyObject } from 'node:crypto';
import { hybridDecrypt, hybridEncrypt, scopeLabel, type SealingScope } from '../../crypto/rsa-oaep.js';
import { DecryptError, InputError, KeyError, SealopsError } from '../../errors.js';
import { CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION, scopeFromAnnotations, withScopeAnnotations, type SealedSecret } from './types.js';
import { checkSealedSecretShape } from './verify.js';

/** Keys of a re-encryption: every private key that may open a value, and the key to seal to. */
export interface ReencryptKeys {
  /** Private keys of every key set still kept (old and new). */
  readonly decrypt: readonly KeyObject[];
  /** Public key of the newest key set. */
  readonly encrypt: KeyObject;
}

/** What {@link reencryptSealedSecret} returns: the new object and the scope every value kept. */
export interface ReencryptResult {
  readonly sealed: SealedSecret;
  readonly scope: SealingScope;
}

function claimedScope(annotations: Record<string, unknown> | undefined): SealingScope | undefined {
  if (!annotations || (annotations[CLUSTER_WIDE_ANNOTATION] === undefined && annotations[NAMESPACE_WIDE_ANNOTATION] === undefined)) return undefined;
  return scopeFromAnnotations(annotations);
}

/**
 * Re-encrypts every value of a SealedSecret to `keys.encrypt`, each under the label it was
 * sealed with. Throws {@link InputError} for a malformed object or a template whose scope
 * annotations contradict the SealedSecret's, and the format's KeyError/DecryptError (naming the
 * key, never a value) when a value does not open under its scope with any kept key.
 */
export function reencryptSealedSecret(obj: unknown, keys: ReencryptKeys): ReencryptResult {
  const sealed = checkSealedSecretShape(obj, 'SealedSecret');
  const { name } = sealed.metadata;
  const namespace = sealed.metadata.namespace ?? '';
  const where = namespace === '' ? name : `${namespace}/${name}`;
  const scope = scopeFromAnnotations(sealed.metadata.annotations);
  const claimed = claimedScope(sealed.spec.template.metadata.annotations);
  if (claimed !== undefined && claimed !== scope) {
    throw new InputError(`failed to re-encrypt ${where}: spec.template.metadata.annotations claim ${claimed} but the SealedSecret is sealed ${scope}`, {
      hint: 'the scope of a sealed value cannot change by re-encryption; seal the Secret again in the scope you want',
    });
  }
  const label = scopeLabel(scope, namespace, name);
  const out = structuredClone(sealed);
  for (const key of Object.keys(sealed.spec.encryptedData).sort()) {
    const raw = Buffer.from(sealed.spec.encryptedData[key]!, 'base64');
    let value: Buffer | undefined;
    try {
      value = hybridDecrypt([...keys.decrypt], raw, label);
      out.spec.encryptedData[key] = hybridEncrypt(keys.encrypt, value, label).toString('base64');
    } catch (err) {
      throw contextual(err, `failed to re-encrypt ${where} key ${key} (sealed ${scope})`);
    } finally {
      value?.fill(0);
    }
  }
  out.metadata.annotations = withScopeAnnotations(sealed.metadata.annotations, scope);
  if (Object.keys(out.metadata.annotations).length === 0) delete out.metadata.annotations;
  const tAnn = withScopeAnnotations(sealed.spec.template.metadata.annotations, scope);
  if (Object.keys(tAnn).length > 0) out.spec.template.metadata.annotations = tAnn;
  else delete out.spec.template.metadata.annotations;
  return { sealed: out, scope };
}

/** The same error class with the SealedSecret and key named in front (sealops's messages carry no value). */
function contextual(err: unknown, prefix: string): unknown {
  if (!(err instanceof SealopsError)) return err;
  const message = `${prefix}: ${err.message.replace(/^failed to [a-z ]+: /, '')}`;
  const options = { cause: err, hint: err.hint ?? 'it may have been renamed, moved to another namespace, or sealed for a key this cluster no longer keeps' };
  if (err.code === 'KEY') return new KeyError(message, options);
  if (err.code === 'DECRYPT') return new DecryptError(message, options);
  if (err.code === 'INPUT') return new InputError(message, options);
  return err;
}
