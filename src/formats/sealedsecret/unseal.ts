/**
 * SealedSecret → Secret, in memory, as the controller does it (`SealedSecret.Unseal`): the
 * OAEP label comes from the SealedSecret's own name, namespace and scope annotations, so a
 * SealedSecret renamed or moved to another namespace no longer opens.
 */
import type { KeyObject } from 'node:crypto';
import { hybridDecrypt, scopeLabel } from '../../crypto/rsa-oaep.js';
import { DecryptError, InputError, KeyError, SealopsError } from '../../errors.js';
import { scopeFromAnnotations, SEALED_SECRET_API_VERSION, type SecretManifest } from './types.js';
import { isRecord } from './util.js';
import { formatKubesealYaml } from './codec.js';
import { renderTemplateValue } from './template.js';
import { isTemplateExpression } from './template-data.js';
import { checkSealedSecretShape } from './verify.js';

/** True when `obj` is a `bitnami.com/*` SealedSecret object (any version). */
export function isSealedSecret(obj: unknown): boolean {
  return (
    isRecord(obj) &&
    obj.kind === 'SealedSecret' &&
    typeof obj.apiVersion === 'string' &&
    (obj.apiVersion === SEALED_SECRET_API_VERSION || obj.apiVersion.startsWith('bitnami.com/'))
  );
}

/**
 * Unseals a SealedSecret with the given RSA private keys (each key tried per value) and
 * returns a plain `v1` Secret with base64 `data`, the SealedSecret's name and namespace and
 * the template's metadata, `type` and `immutable`.
 *
 * Throws {@link InputError} for a malformed SealedSecret (missing template, bad base64, a
 * `spec.template.data` template using a function sealops does not render), {@link KeyError}
 * when no key opens a value and {@link DecryptError} when a value fails authentication.
 * Messages name keys, never values.
 */
export function unsealSealedSecret(obj: unknown, privateKeys: KeyObject[]): SecretManifest {
  const sealed = checkSealedSecretShape(obj, 'SealedSecret');
  const { name } = sealed.metadata;
  const namespace = sealed.metadata.namespace ?? '';
  const scope = scopeFromAnnotations(sealed.metadata.annotations);
  const label = scopeLabel(scope, namespace, name);
  const where = namespace === '' ? name : `${namespace}/${name}`;

  const data: Record<string, string> = {};
  const plain: Record<string, string> = {};
  for (const key of Object.keys(sealed.spec.encryptedData).sort()) {
    const raw = Buffer.from(sealed.spec.encryptedData[key]!, 'base64');
    try {
      const value = hybridDecrypt(privateKeys, raw, label);
      data[key] = value.toString('base64');
      plain[key] = value.toString('utf8');
    } catch (err) {
      throw withUnsealContext(err, `failed to unseal ${where} key ${key}`);
    }
  }
  for (const [key, value] of Object.entries(sealed.spec.template.data ?? {})) {
    if (key in sealed.spec.encryptedData) continue; // sealed values win, as in kubeseal v0.40
    if (value === null) {
      delete data[key];
    } else if (isTemplateExpression(value)) {
      // Executed as the controller executes it: a Go template over the decrypted values.
      data[key] = Buffer.from(renderTemplateValue(value, plain, `${where} spec.template.data.${key}`), 'utf8').toString('base64');
    } else {
      // A literal beside sealed values is plaintext anyone could have written into git.
      throw new InputError(`failed to unseal ${where}: spec.template.data.${key} is a plaintext value, not sealed`, {
        hint: 'seal the value into spec.encryptedData (sealops seal --format sealedsecret --merge-into), or use a template that references sealed keys',
      });
    }
  }

  const metadata = structuredClone(sealed.spec.template.metadata);
  for (const [k, v] of Object.entries(metadata)) if (v === null) delete metadata[k];
  metadata.name = name;
  if (namespace === '') delete metadata.namespace;
  else metadata.namespace = namespace;
  const secret: SecretManifest = { apiVersion: 'v1', kind: 'Secret', metadata: { ...metadata, name } };
  if (sealed.spec.template.type) secret.type = sealed.spec.template.type;
  if (typeof sealed.spec.template.immutable === 'boolean') secret.immutable = sealed.spec.template.immutable;
  secret.data = data;
  return secret;
}

/**
 * The text `kubeseal --recovery-unseal -o yaml` prints for an unsealed Secret: keys sorted,
 * YAML 1.1 quoting, and an empty value as `null` (Go marshals an empty byte slice so).
 * kubeseal also adds an ownerReference with an empty uid, which the API server would refuse;
 * sealops leaves it out.
 */
export function formatUnsealedSecret(secret: SecretManifest): string {
  const data = secret.data ? Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, v === '' ? null : v])) : undefined;
  return formatKubesealYaml(data ? { ...secret, data } : secret);
}

/**
 * The same error class with the SealedSecret and key named in front, so a message says which
 * value failed. Only messages sealops wrote are reused; they never carry plaintext.
 */
function withUnsealContext(err: unknown, prefix: string): unknown {
  if (!(err instanceof SealopsError)) return err;
  const message = `${prefix}: ${err.message.replace(/^failed to [a-z ]+: /, '')}`;
  const options = { cause: err, hint: err.hint };
  if (err.code === 'KEY') return new KeyError(message, options);
  if (err.code === 'DECRYPT') return new DecryptError(message, options);
  if (err.code === 'INPUT') return new InputError(message, options);
  return err;
}
