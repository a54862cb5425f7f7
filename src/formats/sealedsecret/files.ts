/**
 * SealedSecret operations on whole texts and files, as the format layer and `keygen --rsa`
 * need them: a Secret manifest in, kubeseal-style YAML out; `--merge-into` of several inputs.
 * Callers decide where output goes.
 */
import type { KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { SealingScope } from '../../crypto/rsa-oaep.js';
import { InputError, IoError, describe } from '../../errors.js';
import { replaceFile } from '../replace.js';
import { listItems } from '../../manifest/secret.js';
import { isRecord } from '../../util/record.js';
import { formatKubesealYaml, readSealedSecretDocuments } from './codec.js';
import { mergeIntoSealedSecretText } from './merge.js';
import { sealSecret } from './seal.js';
import { formatUnsealedSecret, isSealedSecret, unsealSealedSecret } from './unseal.js';
import { verifySealedSecret } from './verify.js';

/** The cluster's public key (from its certificate) and the scope to seal in. */
export interface SealedSecretTarget {
  readonly publicKey: KeyObject;
  readonly scope?: SealingScope;
}

/** The Secrets of a manifest text: documents, or the items of a `List`; anything else is refused. */
function secretDocuments(text: string, source: string): unknown[] {
  const secrets = readSealedSecretDocuments(text, source).flatMap(listItems);
  if (secrets.length === 0) throw new InputError(`failed to seal ${source}: no Secret found`);
  secrets.forEach((s, i) => {
    const kind = isRecord(s) ? s.kind : undefined;
    if (kind !== 'Secret') {
      throw new InputError(`failed to seal ${source}: document ${i + 1} is ${typeof kind === 'string' ? `a ${kind}` : 'not a manifest'}, not a Secret`);
    }
  });
  return secrets;
}

/** The SealedSecrets of a text, by document index; a document that is not one is refused. */
function sealedSecretDocuments(text: string, source: string): unknown[] {
  const docs = readSealedSecretDocuments(text, source);
  if (docs.length === 0) throw new InputError(`failed to read ${source}: no SealedSecret found`);
  docs.forEach((doc, i) => {
    if (!isSealedSecret(doc)) throw new InputError(`failed to read ${source}: document ${i + 1} is not a SealedSecret`);
  });
  return docs;
}

/** True when the text holds a bitnami.com SealedSecret. */
export function isSealedSecretText(text: string): boolean {
  // Cheap test first: most files (SOPS, plain manifests) never mention the kind.
  if (!text.includes('SealedSecret')) return false;
  try {
    return readSealedSecretDocuments(text).some(isSealedSecret);
  } catch {
    return false;
  }
}

/**
 * Seals every Secret of a manifest text (YAML or JSON, several documents, or a `List`) into
 * SealedSecrets written like `kubeseal -o yaml`.
 */
export function sealSecretText(text: string, source: string, target: SealedSecretTarget): string {
  return secretDocuments(text, source)
    .map((secret) => formatKubesealYaml(sealSecret(secret, target.publicKey, { scope: target.scope, source })))
    .join('');
}

/**
 * `seal --merge-into T a b c`: seals the entries of every Secret of every input into the one
 * SealedSecret in `into`, in order (a later input wins a key both hold), and replaces that file
 * atomically once, after all of them succeeded. The inputs are never written.
 * Returns how many Secrets were merged.
 */
export async function mergeIntoSealedSecretFile(
  inputs: readonly { text: string; source: string }[],
  into: { path: string; source: string },
  target: SealedSecretTarget,
): Promise<number> {
  const secrets = inputs.flatMap((input) => secretDocuments(input.text, input.source).map((secret) => ({ secret, source: input.source })));
  let text: string;
  try {
    text = await readFile(into.path, 'utf8');
  } catch (err) {
    throw new IoError(`failed to read SealedSecret ${into.source}: ${describe(err)}`, { cause: err });
  }
  // Each merge keeps the file's own format (a JSON file stays JSON, laid out as kubeseal does).
  for (const { secret, source } of secrets) text = mergeIntoSealedSecretText(text, secret, target.publicKey, { scope: target.scope, source, into: into.source });
  // kubeseal --merge-into updates the file in place; so do we, atomically, once.
  replaceFile(into.path, text);
  return secrets.length;
}

/** Unseals every SealedSecret of a text with `keys` into Secrets, as YAML. */
export function unsealSealedSecretText(text: string, source: string, keys: readonly KeyObject[]): string {
  return sealedSecretDocuments(text, source)
    .map((doc) => formatUnsealedSecret(unsealSealedSecret(doc, [...keys])))
    .join('');
}

/** The Secrets of every SealedSecret of a text, by document index. */
export function openSealedSecretDocuments(text: string, source: string, keys: readonly KeyObject[]): unknown[] {
  return sealedSecretDocuments(text, source).map((doc) => unsealSealedSecret(doc, [...keys]));
}

/** Verifies every SealedSecret of a text: structure without keys, every value with them. */
export function verifySealedSecretText(text: string, source: string, keys: readonly KeyObject[]): string[] {
  const problems: string[] = [];
  for (const doc of sealedSecretDocuments(text, source)) {
    const meta = isRecord(doc) && isRecord(doc.metadata) ? doc.metadata : {};
    const name = [meta.namespace, meta.name].filter((x) => typeof x === 'string' && x !== '').join('/');
    for (const p of verifySealedSecret(doc, keys).problems) problems.push(`${source}: SealedSecret ${name || '(unnamed)'}: ${p}`);
  }
  return problems;
}
