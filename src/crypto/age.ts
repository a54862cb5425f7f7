/**
 * age wrapping of data keys, one armored age file per recipient (what sops stores in
 * `sops.age[i].enc`). X25519 is the default; post-quantum hybrid keys (`age1pq1…`) are used only
 * when asked for, and never mixed with classic recipients: Go age ≥ 1.3 refuses such a mix, and
 * a mix would quietly give up the post-quantum protection.
 */
import { Decrypter, Encrypter, armor, generateHybridIdentity, generateX25519Identity, identityToRecipient } from 'age-encryption';
import { InputError, KeyError, describe } from '../errors.js';

/** The two recipient families sealops supports. */
export type AgeRecipientKind = 'x25519' | 'pq';

/** A freshly generated identity and its public recipient. */
export interface AgeKeyPair {
  identity: string;
  recipient: string;
}

/** Generates an age identity: X25519 unless `postQuantum` is set explicitly. */
export async function generateAgeKeyPair(opts: { postQuantum?: boolean } = {}): Promise<AgeKeyPair> {
  const identity = opts.postQuantum === true ? await generateHybridIdentity() : await generateX25519Identity();
  return { identity, recipient: await identityToRecipient(identity) };
}

/** The recipient (`age1…`) of an identity (`AGE-SECRET-KEY-1…`); KeyError if it is not one. */
export async function ageRecipientOf(identity: string): Promise<string> {
  try {
    return await identityToRecipient(identity);
  } catch (err) {
    throw new KeyError(`failed to read age identity: ${describe(err)}`, { cause: err });
  }
}

const X25519_RE = /^age1[02-9ac-hj-np-z]{58}$/;
const PQ_RE = /^age1pq1[02-9ac-hj-np-z]+$/;

/** The kind of an age recipient string; InputError when it is not a supported recipient. */
export function ageRecipientKind(recipient: string): AgeRecipientKind {
  if (X25519_RE.test(recipient)) return 'x25519';
  if (PQ_RE.test(recipient)) return 'pq';
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
 * recipient of it ("not mine" is not an error); throws InputError when the stanza is malformed
 * and KeyError when an identity string is not a valid age identity.
 */
export async function unwrapDataKey(armored: string, identities: readonly string[]): Promise<Uint8Array | null> {
  let file: Uint8Array;
  try {
    file = armor.decode(armored);
  } catch (err) {
    throw new InputError(`failed to read age stanza: ${describe(err)}`, { cause: err });
  }
  if (identities.length === 0) return null;
  const d = new Decrypter();
  for (const id of identities) {
    try {
      d.addIdentity(id);
    } catch (err) {
      throw new KeyError(`failed to use age identity: ${describe(err)}`, { cause: err });
    }
  }
  try {
    return await d.decrypt(file);
  } catch (err) {
    if (describe(err).includes('no identity matched')) return null;
    throw new InputError(`failed to open age stanza: ${describe(err)}`, { cause: err });
  }
}
