/**
 * RSA key pairs for tests, as key objects of their own. A KeyObject handed back by
 * generateKeyPairSync shares the generation job's lock, and Node 20 deadlocks when that job is
 * garbage-collected while the key is being exported (seen as a test worker hung at 0 % CPU inside
 * KeyObjectHandle::ExportJWK): every test takes its RSA keys from here instead.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/** A fresh RSA key pair whose key objects are not tied to the job that generated them. */
export function rsaKeyPair(modulusLength: number): { publicKey: KeyObject; privateKey: KeyObject } {
  const pem = generateKeyPairSync('rsa', {
    modulusLength,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { publicKey: createPublicKey(pem.publicKey), privateKey: createPrivateKey(pem.privateKey) };
}
