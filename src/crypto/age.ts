/**
 * age wrapping of data keys, one armored age file per recipient (what sops stores in
 * `sops.age[i].enc`). X25519 is the default; post-quantum hybrid keys (`age1pq1…`) are used only
 * when asked for, and never mixed with classic recipients: Go age ≥ 1.3 refuses such a mix, and
 * a mix would quietly give up the post-quantum protection.
 *
 * X25519 goes through `age-x25519.ts` (node:crypto, ~10× cheaper per key than WebCrypto);
 * age-encryption is imported only when a post-quantum key is actually used, so sealing with
 * classic keys never pays its ~70 ms import.
 */
import { InputError, KeyError, describe } from '../errors.js';
import {
  armorAge,
  checkPqIdentity,
  checkX25519Identity,
  dearmorAge,
  decodeX25519Recipient,
  decryptPayload,
  encryptX25519,
  newX25519Identity,
  parseAgeFile,
  unwrapX25519,
  x25519RecipientOf,
  type AgeFile,
} from './age-x25519.js';

/** The two recipient families sealops supports. */
export type AgeRecipientKind = 'x25519' | 'pq';

/** A freshly generated identity and its public recipient. */
export interface AgeKeyPair {
  identity: string;
  recipient: string;
}

const typage = () => import('age-encryption');
const PQ_IDENTITY_PREFIX = 'AGE-SECRET-KEY-PQ-1';

/** Generates an age identity: X25519 unless `postQuantum` is set explicitly. */
export async function generateAgeKeyPair(opts: { postQuantum?: boolean } = {}): Promise<AgeKeyPair> {
  if (opts.postQuantum === true) {
    const { generateHybridIdentity, identityToRecipient } = await typage();
    const identity = await generateHybridIdentity();
    return { identity, recipient: await identityToRecipient(identity) };
  }
  const identity = newX25519Identity();
  return { identity, recipient: x25519RecipientOf(identity) };
}

/** The recipient (`age1…`) of an identity (`AGE-SECRET-KEY-1…`); KeyError if it is not one. */
export async function ageRecipientOf(identity: string): Promise<string> {
  try {
    if (!identity.startsWith(PQ_IDENTITY_PREFIX)) return x25519RecipientOf(identity);
    checkPqIdentity(identity);
    return await (await typage()).identityToRecipient(identity);
  } catch (err) {
    throw new KeyError(`failed to read age identity: ${describe(err)}`, { cause: err });
  }
}

const X25519_RE = /^age1[02-9ac-hj-np-z]{58}$/;
const PQ_RE = /^age1pq1[02-9ac-hj-np-z]+$/;
const IDENTITY_LIKE = /^\s*AGE-SECRET-KEY-/i;

/** The one age identity pattern (X25519 or post-quantum), unanchored. */
const AGE_IDENTITY = 'AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+';

/** A whole line of an identity file. */
export const AGE_IDENTITY_LINE = new RegExp(`^${AGE_IDENTITY}$`);

const AGE_IDENTITY_IN_LINE = new RegExp(`^${AGE_IDENTITY}$`, 'm');
const AGE_IDENTITY_ANYWHERE = new RegExp(AGE_IDENTITY);

/** True when `text` has a line that is an identity, or with `anywhere` an identity at all. */
export function containsAgeIdentity(text: string, anywhere = false): boolean {
  return (anywhere ? AGE_IDENTITY_ANYWHERE : AGE_IDENTITY_IN_LINE).test(text);
}

/**
 * The kind of an age recipient string; InputError when it is not a supported recipient. A
 * private key passed where a recipient belongs (`-r AGE-SECRET-KEY-1…`) is refused without
 * quoting it, so the mistake does not also print the key into a terminal or CI log.
 */
export function ageRecipientKind(recipient: string): AgeRecipientKind {
  if (X25519_RE.test(recipient)) return 'x25519';
  if (PQ_RE.test(recipient)) return 'pq';
  if (IDENTITY_LIKE.test(recipient)) {
    throw new InputError('failed to use recipient: it is an age identity (a private key), not a recipient', {
      hint: 'pass the public key (age1…, the "# public key:" line of the key file); if the private key was shared, rotate it',
    });
  }
  throw new InputError(`failed to use recipient "${recipient.slice(0, 80)}": not an age X25519 (age1…) or post-quantum (age1pq1…) recipient`);
}

/**
 * Validates a recipient list: at least one, each supported, no duplicates, and not a mix of
 * post-quantum and classic recipients. Returns the list without duplicates, order kept.
 */
export function checkAgeRecipients(recipients: readonly string[]): string[] {
  const unique = [...new Set(recipients.map((r) => r.trim()).filter((r) => r !== ''))];
  if (unique.length === 0) {
    throw new InputError('failed to choose recipients: none given', {
      hint: 'pass -r age1…, or add recipients for this path to .sealops.yaml',
    });
  }
  const kinds = new Set(unique.map(ageRecipientKind));
  if (kinds.size > 1) {
    throw new InputError('failed to choose recipients: post-quantum (age1pq1…) and classic (age1…) recipients cannot be mixed', {
      hint: 'a classic recipient would let an attacker with a quantum computer open the file anyway; use one kind',
    });
  }
  return unique;
}

/** Wraps `dataKey` for one recipient as an armored age file (the `enc` of a sops age entry). */
export async function wrapDataKey(dataKey: Uint8Array, recipient: string): Promise<string> {
  if (IDENTITY_LIKE.test(recipient)) ageRecipientKind(recipient);
  if (!PQ_RE.test(recipient)) {
    try {
      decodeX25519Recipient(recipient);
    } catch (err) {
      throw new InputError(`failed to use recipient "${recipient.slice(0, 80)}": ${describe(err)}`, { cause: err });
    }
    return armorAge(encryptX25519(dataKey, [recipient]));
  }
  const { Encrypter, armor } = await typage();
  const e = new Encrypter();
  try {
    e.addRecipient(recipient);
  } catch (err) {
    throw new InputError(`failed to use recipient "${recipient.slice(0, 80)}": ${describe(err)}`, { cause: err });
  }
  return armor.encode(await e.encrypt(dataKey));
}

/**
 * Opens an armored age file with any of `identities`. Returns null when none of them is a
 * recipient of it ("not mine" is not an error); throws InputError when the file is malformed or
 * tampered with (bad header MAC, cut payload) and KeyError when an identity string is not a
 * valid age identity.
 */
export async function unwrapDataKey(armored: string, identities: readonly string[]): Promise<Uint8Array | null> {
  let file: AgeFile;
  try {
    file = parseAgeFile(dearmorAge(armored));
  } catch (err) {
    throw new InputError(`failed to read age stanza: ${describe(err)}`, { cause: err });
  }
  if (identities.length === 0) return null;
  const classic: string[] = [];
  const pq: string[] = [];
  for (const id of identities) {
    try {
      if (id.startsWith(PQ_IDENTITY_PREFIX)) {
        checkPqIdentity(id);
        pq.push(id);
      } else {
        checkX25519Identity(id);
        classic.push(id);
      }
    } catch (err) {
      throw new KeyError(`failed to use age identity: ${describe(err)}`, { cause: err });
    }
  }
  try {
    const fileKey = unwrapX25519(file.stanzas, classic);
    if (fileKey) {
      try {
        return decryptPayload(file, fileKey);
      } finally {
        fileKey.fill(0);
      }
    }
  } catch (err) {
    throw new InputError(`failed to open age stanza: ${describe(err)}`, { cause: err });
  }
  // Only a post-quantum identity can open what is left, and only a post-quantum stanza.
  if (pq.length === 0 || !file.stanzas.some((s) => s.args[0] === 'mlkem768x25519')) return null;
  return unwrapWithTypage(armored, pq);
}

async function unwrapWithTypage(armored: string, identities: readonly string[]): Promise<Uint8Array | null> {
  const { Decrypter, armor } = await typage();
  const d = new Decrypter();
  for (const id of identities) {
    try {
      d.addIdentity(id);
    } catch (err) {
      throw new KeyError(`failed to use age identity: ${describe(err)}`, { cause: err });
    }
  }
  try {
    return await d.decrypt(armor.decode(armored));
  } catch (err) {
    if (describe(err).includes('no identity matched')) return null;
    throw new InputError(`failed to open age stanza: ${describe(err)}`, { cause: err });
  }
}
