/**
 * The format layer: one small interface per sealed-file format (SOPS with age, Bitnami
 * SealedSecret), and the one place that decides which format a file is in. The CLI and the
 * agent call this layer; neither looks inside a format.
 *
 * Stable API (the agent's decrypt stage and the CLI build on it):
 * - {@link detectFormat} — which format, and which SOPS store, a file is in.
 * - {@link formatFor} — the {@link FormatAdapter} of that format: `open` (documents by index),
 *   `unseal`, `verify`, `rekey`, `rotate`.
 * - {@link sealText} — seals plaintext for a {@link SealTarget} (recipients, or a certificate key).
 * - {@link KeyRing} — the keys that open files: age identities and RSA private keys.
 */
import type { KeyObject } from 'node:crypto';
import type { SealingScope } from '../crypto/rsa-oaep.js';
import { InputError, KeyError } from '../errors.js';
import { detectManifestFormat, readDocuments } from '../manifest/parse.js';
import { detectSopsFormat, metadataRecipients, readSopsMetadata, rekeySops, rotateSops, sealSops, unsealSops, verifySops, type KeyPlan, type SealSopsOptions, type SopsFormat } from './sops/index.js';
import { SCOPE_ANNOTATION } from './sops/scope.js';
import { isSealedSecretText, openSealedSecretDocuments, sealSecretText, unsealSealedSecretText, verifySealedSecretText } from './sealedsecret/files.js';

/** The formats sealops reads and writes. */
export type FormatKind = 'sops' | 'sealedsecret';

/** A file's format: SOPS (in one of its stores) or SealedSecret (a YAML or JSON manifest). */
export interface FileFormat {
  readonly kind: FormatKind;
  /** The SOPS store, or for a SealedSecret the manifest syntax (yaml or json). */
  readonly store: SopsFormat;
}

/** A sealed file's text, how messages name it, and its format. */
export interface SealedText {
  readonly text: string;
  readonly source: string;
  readonly format: FileFormat;
}

/** The keys that open sealed files. */
export interface KeyRing {
  /** age identities (`AGE-SECRET-KEY-1…`) for SOPS files. */
  readonly ageIdentities: readonly string[];
  /** RSA private keys for SealedSecrets. */
  readonly rsaKeys: readonly KeyObject[];
  /** Where the keys came from, for messages (file and variable names, never a key). */
  readonly sources?: readonly string[];
}

/**
 * The one place that decides a file's format: a SealedSecret when the text holds one, else
 * SOPS in the store `store` names, or the store the file name or content implies.
 */
export function detectFormat(input: { readonly path?: string; readonly text: string }, store?: SopsFormat): FileFormat {
  if (isSealedSecretText(input.text)) return { kind: 'sealedsecret', store: detectManifestFormat(input.path, input.text) };
  return { kind: 'sops', store: store ?? detectSopsFormat(input.path, input.text) };
}

/** Options of {@link FormatAdapter.verify}. */
export interface VerifyOptions {
  /** With keys, every value (and the SOPS MAC) must authenticate; without, structure only. */
  readonly keys?: KeyRing;
  /** SOPS: the recipients the file must be sealed for, exactly. */
  readonly recipients?: readonly string[];
  /** Told what passes but deserves a look (a Secret sealed by plain sops carries no scope binding). */
  readonly warn?: (message: string) => void;
}

/** What every format can do to a sealed file. */
export interface FormatAdapter {
  readonly kind: FormatKind;
  /**
   * The decrypted documents, by index: element i is document i of the file (a Secret for each
   * SealedSecret). Every value is authenticated first; nothing is returned on any failure.
   */
  open(file: SealedText, keys: KeyRing): Promise<unknown[]>;
  /** The whole file unsealed, as text in its own syntax. */
  unseal(file: SealedText, keys: KeyRing): Promise<string>;
  /** The problems found (file, object and key names only, never a value); none means verified. */
  verify(file: SealedText, options?: VerifyOptions): Promise<string[]>;
  /** Re-wraps the data key for the recipients (or key groups) of `to`; values untouched. */
  rekey(file: SealedText, keys: KeyRing, to: KeyPlan): Promise<string>;
  /** A new data key, every value re-encrypted, for `to` or the file's current recipients. */
  rotate(file: SealedText, keys: KeyRing, to?: KeyPlan): Promise<string>;
}

/** The ring's age identities, or a KeyError saying none was given (SOPS files need one). */
export function requireAgeIdentities(keys: KeyRing): string[] {
  if (keys.ageIdentities.length > 0) return [...keys.ageIdentities];
  const sources = keys.sources ?? [];
  if (sources.length > 0) {
    throw new KeyError(`failed to find a key: ${sources.join(', ')} hold${sources.length === 1 ? 's' : ''} no age identity`, {
      hint: 'SOPS files open with an age identity (AGE-SECRET-KEY-1…); pass -k FILE',
    });
  }
  throw new KeyError('failed to find a key: no -k FILE and no key in the environment', {
    hint: 'pass -k FILE, or set SEALOPS_KEY_FILE, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY',
  });
}

/** The ring's RSA keys, or a KeyError saying none was given (SealedSecrets need one). */
export function requireRsaKeys(keys: KeyRing): KeyObject[] {
  if (keys.rsaKeys.length > 0) return [...keys.rsaKeys];
  const sources = keys.sources ?? [];
  if (sources.length > 0) throw new KeyError(`failed to unseal SealedSecret: none of ${sources.join(', ')} holds an RSA private key`);
  throw new KeyError('failed to unseal SealedSecret: no private key given', {
    hint: 'pass -k KEY.pem (the cluster RSA key, or the controller key Secret backup) or set SEALOPS_KEY_FILE',
  });
}

function sopsOptions(file: SealedText): { format: SopsFormat; source: string } {
  return { format: file.format.store, source: file.source };
}

const SOPS: FormatAdapter = Object.freeze({
  kind: 'sops' as const,
  async open(file: SealedText, keys: KeyRing): Promise<unknown[]> {
    const store = file.format.store;
    if (store !== 'yaml' && store !== 'json') throw new InputError(`failed to open ${file.source}: a ${store} file holds no manifest documents`);
    const plain = await unsealSops(file.text, { ...sopsOptions(file), identities: requireAgeIdentities(keys) });
    // Aliases were refused while unsealing, so none can expand here; empty documents stay as
    // null so that indices match the file's documents.
    return readDocuments(plain, file.source, { keepEmpty: true, maxAliasCount: 0 });
  },
  unseal: (file: SealedText, keys: KeyRing) => unsealSops(file.text, { ...sopsOptions(file), identities: requireAgeIdentities(keys) }),
  async verify(file: SealedText, options: VerifyOptions = {}): Promise<string[]> {
    const identities = options.keys && options.keys.ageIdentities.length > 0 ? [...options.keys.ageIdentities] : undefined;
    const recipients = options.recipients && options.recipients.length > 0 ? [...options.recipients] : undefined;
    const result = await verifySops(file.text, { ...sopsOptions(file), ...(identities ? { identities } : {}), ...(recipients ? { recipients } : {}) });
    for (const u of result.unbound ?? []) {
      options.warn?.(`${file.source}: Secret ${u} has no ${SCOPE_ANNOTATION} binding (sealed by plain sops?): its namespace and name are not authenticated; \`sealops rotate\` adds one`);
    }
    return result.problems;
  },
  rekey: (file: SealedText, keys: KeyRing, to: KeyPlan) => rekeySops(file.text, { ...sopsOptions(file), identities: requireAgeIdentities(keys), ...to }),
  rotate: (file: SealedText, keys: KeyRing, to?: KeyPlan) => rotateSops(file.text, { ...sopsOptions(file), identities: requireAgeIdentities(keys), ...to }),
});

function notForSealedSecret(what: string): (file: SealedText) => Promise<string> {
  return (file) =>
    Promise.reject(
      new InputError(`failed to ${what} ${file.source}: a SealedSecret has no data key to ${what === 'rekey' ? 're-wrap' : 'replace'}`, {
        hint: 'seal the Secret again with the new certificate (sealops seal --cert)',
      }),
    );
}

const SEALED_SECRET: FormatAdapter = Object.freeze({
  kind: 'sealedsecret' as const,
  open: (file: SealedText, keys: KeyRing) => Promise.resolve().then(() => openSealedSecretDocuments(file.text, file.source, requireRsaKeys(keys))),
  unseal: (file: SealedText, keys: KeyRing) => Promise.resolve().then(() => unsealSealedSecretText(file.text, file.source, requireRsaKeys(keys))),
  verify: (file: SealedText, options: VerifyOptions = {}) => Promise.resolve().then(() => verifySealedSecretText(file.text, file.source, options.keys?.rsaKeys ?? [])),
  rekey: notForSealedSecret('rekey'),
  rotate: notForSealedSecret('rotate'),
});

/** The adapter of a format. */
export function formatFor(format: FileFormat | FormatKind): FormatAdapter {
  const kind = typeof format === 'string' ? format : format.kind;
  return kind === 'sealedsecret' ? SEALED_SECRET : SOPS;
}

/** Where plaintext is sealed to: age recipients (SOPS), or a cluster's certificate key (SealedSecret). */
export type SealTarget =
  | { readonly kind: 'sops'; readonly options: SealSopsOptions }
  | { readonly kind: 'sealedsecret'; readonly publicKey: KeyObject; readonly scope?: SealingScope };

/** Seals plaintext `text` (named `source` in messages) for `target`. */
export async function sealText(text: string, source: string, target: SealTarget): Promise<string> {
  if (target.kind === 'sops') return sealSops(text, { ...target.options, source });
  return sealSecretText(text, source, { publicKey: target.publicKey, ...(target.scope ? { scope: target.scope } : {}) });
}

/** The recipients a SOPS file is sealed for now, in every key group (from its metadata; no key needed). */
export function sealedRecipients(file: SealedText): string[] {
  if (file.format.kind !== 'sops') return [];
  return metadataRecipients(readSopsMetadata(file.text, sopsOptions(file)));
}

export { isSealedSecretText, mergeIntoSealedSecretFile } from './sealedsecret/files.js';
export { inputFromBytes, isSealableName, readInputFile, writeInPlace, STDIN_SOURCE, type FileResult, type Input } from './files.js';
export { replaceFile, syncFolder, SpareInodes, type ReplaceOptions } from './replace.js';
