/** Data keys: the 32 random bytes every value of one SOPS file is sealed under. */
import { randomBytes } from 'node:crypto';

/** Length of a SOPS data key in bytes (AES-256). */
export const DATA_KEY_BYTES = 32;

/** A fresh random data key. */
export function generateDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}
