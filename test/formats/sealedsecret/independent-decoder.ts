/**
 * A SealedSecret value decoder written from the format description in DESIGN.md alone,
 * sharing no code with sealops: uint16 big-endian length of the RSA block, RSA-OAEP with
 * SHA-256 (hash and MGF1) under the scope label, then AES-256-GCM with a 12-byte zero nonce,
 * tag last, no AAD. Tests use it to check what sealops writes without trusting sealops.
 */
import { constants, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';

/** Label for a scope, spelled out from the description. */
export function labelFor(scope: string, namespace: string, name: string): string {
  if (scope === 'cluster-wide') return '';
  if (scope === 'namespace-wide') return namespace;
  return `${namespace}/${name}`;
}

/** Opens one base64 value; throws when the key or label is wrong or the value was altered. */
export function decodeValue(privateKey: KeyObject, base64Value: string, label: string): Buffer {
  const raw = Buffer.from(base64Value, 'base64');
  const rsaLength = (raw[0]! << 8) | raw[1]!;
  const wrappedKey = raw.subarray(2, 2 + rsaLength);
  const gcm = raw.subarray(2 + rsaLength);
  const sessionKey = privateDecrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label, 'utf8') },
    wrappedKey,
  );
  const decipher = createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12, 0));
  decipher.setAuthTag(gcm.subarray(gcm.length - 16));
  return Buffer.concat([decipher.update(gcm.subarray(0, gcm.length - 16)), decipher.final()]);
}
