/** Data keys: the 32 random bytes every value of one SOPS file is sealed under. */
import { randomBytes, timingSafeEqual } from 'node:crypto';

/** Length of a SOPS data key in bytes (AES-256). */
export const DATA_KEY_BYTES = 32;

/** A fresh random data key. */
export function generateDataKey(): Buffer {
  return randomBytes(DATA_KEY_BYTES);
}

/** Constant-time equality of two keys (different lengths are simply unequal). */
export function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Overwrites a key buffer with zeros once it is no longer needed. */
export function wipeKey(key: Uint8Array): void {
  key.fill(0);
}
