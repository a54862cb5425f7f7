/**
 * Sealing new or changed keys into an existing SealedSecret (`kubeseal --merge-into`):
 * untouched entries keep their ciphertext byte for byte, so a review diff shows exactly the
 * keys that changed.
 */
import type { KeyObject } from 'node:crypto';
import type { SealingScope } from '../../crypto/rsa-oaep.js';
import { InputError } from '../../errors.js';
import { formatKubesealYaml, readSealedSecretDocuments } from './codec.js';
import { sealSecret } from './seal.js';
import { scopeFromAnnotations, type SealedSecret } from './types.js';
import { isRecord } from './util.js';
import { checkSealedSecretShape } from './verify.js';

/** Options of {@link mergeIntoSealedSecret}. */
export interface MergeOptions {
  /** Must equal the existing SealedSecret's scope when given. */
  readonly scope?: SealingScope;
  readonly source?: string;
}

/**
 * Seals every entry of `secret` into `existing` and returns the merged SealedSecret (the
 * input is not modified). The Secret takes the existing name and namespace and is sealed in
 * the existing scope: kubeseal seals in the Secret's own scope, which can leave entries the
 * controller cannot open; a conflicting explicit scope is refused instead.
 */
export function mergeIntoSealedSecret(
  existing: unknown,
  secret: unknown,
  publicKey: KeyObject,
  options: MergeOptions = {},
): SealedSecret {
  const source = options.source ?? '<input>';
  const base = checkSealedSecretShape(existing, 'the SealedSecret to merge into');
  const scope = scopeFromAnnotations(base.metadata.annotations);
  if (options.scope !== undefined && options.scope !== scope) {
    throw new InputError(`failed to merge into SealedSecret ${base.metadata.name}: it is sealed ${scope}, not ${options.scope}`);
  }
  if (!isRecord(secret)) throw new InputError(`failed to seal ${source}: expected a v1 Secret manifest`);
  const renamed: Record<string, unknown> = {
    ...secret,
    metadata: {
      ...(isRecord(secret.metadata) ? secret.metadata : {}),
      name: base.metadata.name,
      namespace: base.metadata.namespace,
    },
  };
  const update = sealSecret(renamed, publicKey, { scope, source });

  const merged = structuredClone(base);
  Object.assign(merged.spec.encryptedData, update.spec.encryptedData);
  const tmeta = merged.spec.template.metadata;
  const umeta = update.spec.template.metadata;
  if (umeta.annotations) tmeta.annotations = { ...(tmeta.annotations ?? {}), ...umeta.annotations };
  if (umeta.labels) tmeta.labels = { ...(tmeta.labels ?? {}), ...umeta.labels };
  return merged;
}

/**
 * `kubeseal --merge-into` on the text of the file: merges `secret` into the one SealedSecret
 * the file holds and returns the new text in the file's own format. JSON stays JSON, laid
 * out as kubeseal writes it (two-space indentation, `encryptedData` keys sorted as Go sorts
 * map keys), so only the merged entries change.
 */
export function mergeIntoSealedSecretText(existingText: string, secret: unknown, publicKey: KeyObject, options: MergeOptions & { into?: string } = {}): string {
  const into = options.into ?? '<merge target>';
  const docs = readSealedSecretDocuments(existingText, into);
  if (docs.length !== 1) throw new InputError(`failed to merge into ${into}: expected one SealedSecret, found ${docs.length} documents`);
  const merged = mergeIntoSealedSecret(docs[0], secret, publicKey, options);
  if (!existingText.trimStart().startsWith('{')) return formatKubesealYaml(merged);
  const enc = merged.spec.encryptedData;
  merged.spec.encryptedData = Object.fromEntries(Object.keys(enc).sort().map((k) => [k, enc[k] ?? '']));
  return `${JSON.stringify(merged, null, 2)}\n`;
}
