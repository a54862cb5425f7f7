/**
 * The SealedSecret hybrid envelope, byte-compatible with the sealed-secrets controller and
 * kubeseal (`pkg/crypto.HybridEncrypt` / `HybridDecrypt`):
 *
 *     uint16 BE len(rsaCiphertext) || rsaCiphertext || aesGcmCiphertextWithTag
 *
 * A fresh 32-byte session key per value is wrapped with RSA-OAEP (SHA-256 for the hash and
 * for MGF1) under a label that binds the value to its scope, and the value is sealed with
 * AES-256-GCM under that key with a 12-byte zero nonce and no AAD. A zero nonce is safe
 * only because every session key seals exactly one message.
 *
 * Pure functions over `node:crypto`; no I/O.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { DecryptError, InputError, KeyError, describe } from '../errors.js';
import { rsaFingerprint } from './rsa-fingerprint.js';

/** How widely a sealed value may be unsealed; decides the OAEP label. */
export type SealingScope = 'strict' | 'namespace-wide' | 'cluster-wide';

/** Every scope, in the order the controller numbers them. */
export const SEALING_SCOPES: readonly SealingScope[] = Object.freeze(['strict', 'namespace-wide', 'cluster-wide']);

const SESSION_KEY_BYTES = 32;
const GCM_NONCE = Buffer.alloc(12);
const GCM_TAG_BYTES = 16;
// RSA below 2048 bits is refused everywhere, so a shorter wrapped key cannot be genuine.
const MIN_RSA_CIPHERTEXT_BYTES = 256;

/**
 * The OAEP label for a scope: `"<namespace>/<name>"` (strict), `"<namespace>"`
 * (namespace-wide) or `""` (cluster-wide), exactly as the controller computes it.
 */
export function scopeLabel(scope: SealingScope, namespace: string, name: string): Buffer {
  switch (scope) {
    case 'cluster-wide':
      return Buffer.alloc(0);
    case 'namespace-wide':
      return Buffer.from(namespace, 'utf8');
    default:
      return Buffer.from(`${namespace}/${name}`, 'utf8');
  }
}

/** The parts of an envelope, split without any key. */
export interface HybridEnvelope {
  /** The RSA-OAEP-wrapped session key. */
  readonly rsaCiphertext: Buffer;
  /** AES-256-GCM ciphertext followed by its 16-byte tag. */
  readonly aesCiphertext: Buffer;
}

/**
 * Seals `plaintext` for `publicKey` under `label`. The key must be an RSA public key (a
 * private key works too: its public half is used).
 */
export function hybridEncrypt(publicKey: KeyObject, plaintext: Uint8Array, label: Uint8Array): Buffer {
  const sessionKey = randomBytes(SESSION_KEY_BYTES);
  try {
    const rsaCiphertext = publicEncrypt(
      { key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
      sessionKey,
    );
    const cipher = createCipheriv('aes-256-gcm', sessionKey, GCM_NONCE);
    const sealed = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
    const prefix = Buffer.alloc(2);
    prefix.writeUInt16BE(rsaCiphertext.length, 0);
    return Buffer.concat([prefix, rsaCiphertext, sealed]);
  } finally {
    sessionKey.fill(0);
  }
}

/**
 * Splits an envelope and checks its structure: a length prefix that fits inside the value,
 * an RSA part no shorter than a 2048-bit ciphertext, room for the GCM tag.
 * Throws {@link InputError} on malformed input; never needs a key.
 */
export function parseHybridEnvelope(ciphertext: Uint8Array): HybridEnvelope {
  const buf = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  if (buf.length < 2) {
    throw new InputError(`failed to parse sealed value: ${buf.length} bytes is too short to hold a length prefix`);
  }
  const rsaLen = buf.readUInt16BE(0);
  if (rsaLen < MIN_RSA_CIPHERTEXT_BYTES) {
    throw new InputError(
      `failed to parse sealed value: length prefix says ${rsaLen} bytes of RSA ciphertext, less than any RSA key of 2048 bits or more`,
    );
  }
  if (buf.length < 2 + rsaLen + GCM_TAG_BYTES) {
    throw new InputError(
      `failed to parse sealed value: truncated, the length prefix says ${rsaLen} bytes of RSA ciphertext plus a ${GCM_TAG_BYTES}-byte tag but the value holds ${buf.length - 2} bytes`,
    );
  }
  return { rsaCiphertext: buf.subarray(2, 2 + rsaLen), aesCiphertext: buf.subarray(2 + rsaLen) };
}

/** Bytes of an RSA key's modulus (the length of every ciphertext it makes). */
export function rsaModulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || bits === undefined) {
    throw new KeyError(`failed to use key: expected an RSA key, got ${key.asymmetricKeyType ?? key.type}`);
  }
  return Math.ceil(bits / 8);
}

/**
 * Tries one private key. Returns null when the value is "not mine" (the wrapped key was made
 * for another key or another label, which RSA-OAEP cannot tell apart); throws
 * {@link InputError} when the value is malformed and {@link DecryptError} when the session key
 * unwrapped but the AES-GCM tag does not verify (the value was tampered with or truncated).
 */
export function hybridDecryptWith(privateKey: KeyObject, ciphertext: Uint8Array, label: Uint8Array): Buffer | null {
  const { rsaCiphertext, aesCiphertext } = parseHybridEnvelope(ciphertext);
  if (rsaCiphertext.length !== rsaModulusBytes(privateKey)) return null;
  let sessionKey: Buffer;
  try {
    sessionKey = privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
      rsaCiphertext,
    );
  } catch {
    return null;
  }
  try {
    if (sessionKey.length !== SESSION_KEY_BYTES) {
      throw new DecryptError(`failed to decrypt sealed value: session key is ${sessionKey.length} bytes, expected ${SESSION_KEY_BYTES}`);
    }
    const body = aesCiphertext.subarray(0, aesCiphertext.length - GCM_TAG_BYTES);
    const tag = aesCiphertext.subarray(aesCiphertext.length - GCM_TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', sessionKey, GCM_NONCE);
    decipher.setAuthTag(tag);
    try {
      return Buffer.concat([decipher.update(body), decipher.final()]);
    } catch (err) {
      throw new DecryptError('failed to decrypt sealed value: AES-GCM authentication failed (tampered or truncated)', {
        cause: err,
      });
    }
  } finally {
    sessionKey.fill(0);
  }
}

/**
 * Opens a value with the first of `privateKeys` that can. When none can, throws one
 * {@link KeyError} that lists every attempt by public-key fingerprint (never key material).
 * When a key's size differs from the length prefix but that key opens the block the prefix
 * should have named, the prefix was altered: that is reported as malformed input.
 */
export function hybridDecrypt(privateKeys: readonly KeyObject[], ciphertext: Uint8Array, label: Uint8Array): Buffer {
  const { rsaCiphertext } = parseHybridEnvelope(ciphertext);
  if (privateKeys.length === 0) {
    throw new KeyError('failed to decrypt sealed value: no RSA private key given', {
      hint: 'pass the cluster key with -k KEY.pem (a PEM file or the controller key Secret)',
    });
  }
  const attempts: string[] = [];
  for (const key of privateKeys) {
    const size = rsaModulusBytes(key);
    if (size !== rsaCiphertext.length) {
      if (opensBlockOfSize(key, ciphertext, size, label)) {
        throw new InputError(
          `failed to parse sealed value: the length prefix says ${rsaCiphertext.length} bytes but the RSA block is ${size} bytes (the value was altered)`,
        );
      }
      attempts.push(`${describeKey(key)}: sealed for a ${rsaCiphertext.length * 8}-bit key`);
      continue;
    }
    const plain = hybridDecryptWith(key, ciphertext, label);
    if (plain !== null) return plain;
    attempts.push(`${describeKey(key)}: not sealed for this key and scope`);
  }
  throw new KeyError(`failed to decrypt sealed value: no key matches (${attempts.join('; ')})`, {
    hint: 'the value was sealed for another key, or for another namespace/name or scope',
  });
}

// True when `key` unwraps the `size` bytes after the prefix: the real RSA block is there.
function opensBlockOfSize(key: KeyObject, ciphertext: Uint8Array, size: number, label: Uint8Array): boolean {
  const buf = Buffer.from(ciphertext.buffer, ciphertext.byteOffset, ciphertext.byteLength);
  if (buf.length < 2 + size + GCM_TAG_BYTES) return false;
  try {
    privateDecrypt(
      { key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: label },
      buf.subarray(2, 2 + size),
    ).fill(0);
    return true;
  } catch {
    return false;
  }
}

function describeKey(key: KeyObject): string {
  try {
    return `rsa-${key.asymmetricKeyDetails?.modulusLength ?? '?'} ${rsaFingerprint(key)}`;
  } catch (err) {
    return `unusable key (${describe(err)})`;
  }
}
