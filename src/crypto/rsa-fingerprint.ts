/**
 * Fingerprints of RSA public keys in the form kubeseal and the controller log them:
 * OpenSSH `SHA256:<unpadded base64>` over the `ssh-rsa` wire encoding of the public key.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { KeyError } from '../errors.js';

/** `SHA256:…` fingerprint of an RSA key (public or private; only the public half is read). */
export function rsaFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  if (pub.asymmetricKeyType !== 'rsa') {
    throw new KeyError(`failed to fingerprint key: expected an RSA key, got ${pub.asymmetricKeyType ?? pub.type}`);
  }
  const jwk = pub.export({ format: 'jwk' });
  if (typeof jwk.n !== 'string' || typeof jwk.e !== 'string') {
    throw new KeyError('failed to fingerprint key: RSA modulus or exponent missing');
  }
  const wire = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshString(mpint(Buffer.from(jwk.e, 'base64url'))),
    sshString(mpint(Buffer.from(jwk.n, 'base64url'))),
  ]);
  return `SHA256:${createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')}`;
}

function sshString(bytes: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([len, bytes]);
}

// SSH mpints are two's complement: a set high bit needs a leading zero byte to stay positive.
function mpint(unsigned: Buffer): Buffer {
  let start = 0;
  while (start < unsigned.length - 1 && unsigned[start] === 0) start++;
  const trimmed = unsigned.subarray(start);
  return (trimmed[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.alloc(1), trimmed]) : trimmed;
}
