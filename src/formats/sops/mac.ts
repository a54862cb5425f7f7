/**
 * The SOPS MAC: SHA-512 over the plaintext bytes of every leaf in document order (all documents
 * of a file), upper-case hex, stored encrypted with the `lastmodified` string as AAD. It is what
 * binds unencrypted fields (a Secret's name and namespace) to the encrypted ones.
 */
import { createHash, timingSafeEqual, type Hash } from 'node:crypto';
import { decryptValue, encryptValue } from '../../crypto/index.js';
import { MacError } from '../../errors.js';

/**
 * The 32 bytes sops hashes first when `mac_only_encrypted` is set, so such a MAC can never equal
 * the MAC of a file sealed without it (sops's `MACOnlyEncryptedInitialization`).
 */
const MAC_ONLY_ENCRYPTED_INIT = Buffer.from('8a3fd2ad54ce66527b1034f3d147be0b0b975b3bf44f72c6fdadec8176f27d69', 'hex');

/** Accumulates leaves into the MAC. */
export class MacBuilder {
  private readonly hash: Hash = createHash('sha512');

  /** With `macOnlyEncrypted`, starts the hash the way sops does for that mode. */
  constructor(macOnlyEncrypted = false) {
    if (macOnlyEncrypted) this.hash.update(MAC_ONLY_ENCRYPTED_INIT);
  }

  /** Adds one leaf's plaintext bytes. */
  add(bytes: Uint8Array): void {
    this.hash.update(bytes);
  }

  /** The digest as sops writes it: 128 upper-case hex characters. */
  digest(): string {
    return this.hash.digest('hex').toUpperCase();
  }
}

/** Encrypts a MAC digest for `sops.mac`. */
export function encryptMac(dataKey: Uint8Array, digest: string, lastmodified: string): string {
  return encryptValue(dataKey, Buffer.from(digest, 'utf8'), lastmodified, 'str');
}

/**
 * Checks `computed` against the stored, encrypted MAC. Throws MacError naming `source` when they
 * differ or the stored MAC does not open (a changed `lastmodified` also lands here).
 */
export function verifyMac(dataKey: Uint8Array, storedMac: string, lastmodified: string, computed: string, source: string): void {
  let stored: Buffer;
  try {
    stored = decryptValue(dataKey, storedMac, lastmodified, `${source}: sops.mac`).plaintext;
  } catch (err) {
    throw new MacError(`failed to verify ${source}: the stored MAC does not open (tampered mac or lastmodified)`, { cause: err });
  }
  const want = Buffer.from(computed, 'utf8');
  // sops compares case-sensitively against its own upper-case output; accept either case.
  const got = Buffer.from(stored.toString('utf8').toUpperCase(), 'utf8');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new MacError(`failed to verify ${source}: MAC mismatch, the file was changed after it was sealed`, {
      hint: 'a value, a key name or an unencrypted field (such as metadata.namespace) was edited or moved',
    });
  }
}
