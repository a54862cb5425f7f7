/**
 * SOPS value envelopes: `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]`.
 *
 * Each value is sealed with AES-256-GCM under the file's data key, a fresh 32-byte IV (what sops
 * uses, not the usual 12) and the value's path as additional data, so a ciphertext moved to
 * another key fails authentication. Pure functions, no I/O.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { DecryptError, InputError } from '../errors.js';
import { ENC_RE, TYPES } from './envelope.js';

export { isEncValue, isWellFormedEncValue } from './envelope.js';

export type { SopsValueType } from './envelope.js';
import type { SopsValueType } from './envelope.js';


/** The parts of a parsed envelope, still encrypted. */
export interface EncParts {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: SopsValueType;
}


/**
 * Parses an envelope; throws InputError (naming `where`, never the value) when it is malformed,
 * which is how a truncated value is told apart from a tampered one.
 */
export function parseEncValue(value: string, where: string): EncParts {
  const m = ENC_RE.exec(value);
  if (!m) throw new InputError(`failed to parse encrypted value at ${where}: not a well-formed ENC[AES256_GCM,…] value`);
  const [, data = '', iv = '', tag = '', type = ''] = m;
  if (!TYPES.has(type)) throw new InputError(`failed to parse encrypted value at ${where}: unknown type "${type}"`);
  const ivBuf = Buffer.from(iv, 'base64');
  const tagBuf = Buffer.from(tag, 'base64');
  if (ivBuf.length !== 32 || tagBuf.length !== 16) {
    throw new InputError(`failed to parse encrypted value at ${where}: iv must be 32 bytes and tag 16 bytes`);
  }
  return { data: Buffer.from(data, 'base64'), iv: ivBuf, tag: tagBuf, type: type as SopsValueType };
}

/**
 * Seals `plaintext` under `key` with `aad` (the value's path, e.g. `stringData:password:`).
 * An IV can be passed only so tests can reproduce a known vector.
 */
export function encryptValue(key: Uint8Array, plaintext: Uint8Array, aad: string, type: SopsValueType, iv?: Uint8Array): string {
  assertKey(key);
  const nonce = iv ?? randomBytes(32);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${Buffer.from(nonce).toString('base64')},tag:${tag.toString('base64')},type:${type}]`;
}

/**
 * Opens an envelope. Throws DecryptError naming `where` when authentication fails (wrong key,
 * tampered data, or a value moved from another path), InputError when it is malformed.
 */
export function decryptValue(key: Uint8Array, value: string, aad: string, where: string): { plaintext: Buffer; type: SopsValueType } {
  assertKey(key);
  const parts = parseEncValue(value, where);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parts.iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(parts.tag);
    const plaintext = Buffer.concat([decipher.update(parts.data), decipher.final()]);
    return { plaintext, type: parts.type };
  } catch (err) {
    throw new DecryptError(`failed to decrypt value at ${where}: authentication failed (tampered, truncated or moved from another key)`, {
      cause: err,
    });
  }
}

function assertKey(key: Uint8Array): void {
  if (key.length !== 32) throw new InputError(`failed to use data key: expected 32 bytes, got ${key.length}`);
}
