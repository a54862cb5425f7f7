/**
 * The fingerprint of a key set: one short, stable name for "the public halves of one cluster key
 * set", used in Sync status (`keysInUse`), `sealops status`, `keys list` and `keys retire`.
 * Computed from public material only, so anyone holding the published keys can compute it.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { rsaFingerprint } from '../crypto/rsa-fingerprint.js';

/** The public halves a fingerprint is computed from (same shape as the agent's PublicKeys). */
export interface KeySetPublic {
  /** age recipients (`age1…`). */
  readonly recipients: readonly string[];
  /** `CERTIFICATE` PEM blocks. */
  readonly certificates: readonly string[];
}

/**
 * `ks-<16 hex>`: SHA-256 over the sorted age recipients and the sorted `SHA256:` fingerprints of
 * the certificates' RSA keys (not the certificates' bytes, so a renewed certificate for the same
 * key keeps the fingerprint, as kubeseal's own key identity does).
 */
export function keySetFingerprint(keys: KeySetPublic): string {
  const rsa = keys.certificates.map((pem) => rsaFingerprint(new X509Certificate(pem).publicKey));
  const lines = [...[...keys.recipients].sort(), ...rsa.sort()];
  return `ks-${createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16)}`;
}
