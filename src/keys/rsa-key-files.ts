/**
 * `keygen --rsa` on disk: a new SealedSecret cluster key and certificate, written without ever
 * replacing a file.
 */
import { existsSync } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { resolve } from 'node:path';
import { rsaFingerprint } from '../crypto/rsa-fingerprint.js';
import { IoError, UsageError } from '../errors.js';
import { writeNewFile, writePrivateKeyFile } from './key-files.js';
import { generateRsaKeyPair } from './rsa-keygen.js';

/** Options of {@link writeRsaKeyPairFiles}. */
export interface RsaKeyFilesOptions {
  /** Key and certificate paths as the user gave them (relative to `cwd`). */
  readonly output: string;
  readonly certOut: string;
  readonly cwd: string;
  readonly cn?: string;
  readonly days?: number;
}

/**
 * `keygen --rsa`: an RSA-4096 key (PKCS#1 PEM, mode 0600) and its self-signed certificate.
 * Refuses stdout and existing files, and writes neither file when one cannot be written.
 * Returns the public key's fingerprint.
 */
export async function writeRsaKeyPairFiles(opts: RsaKeyFilesOptions): Promise<string> {
  if (!opts.output || opts.output === '-' || !opts.certOut || opts.certOut === '-') {
    throw new UsageError('failed to generate rsa key: --rsa needs -o KEY.pem and --cert-out CERT.pem (files, not stdout)');
  }
  const keyPath = resolve(opts.cwd, opts.output);
  const certPath = resolve(opts.cwd, opts.certOut);
  if (keyPath === certPath) throw new UsageError('failed to generate rsa key: -o and --cert-out name the same file');
  for (const [path, shown] of [
    [keyPath, opts.output],
    [certPath, opts.certOut],
  ] as const) {
    if (existsSync(path)) {
      throw new IoError(`failed to generate rsa key: ${shown} already exists`, { hint: 'sealops never overwrites a key file; move it away or choose another path' });
    }
  }
  const pair = await generateRsaKeyPair({ commonName: opts.cn, days: opts.days });
  await writePrivateKeyFile(keyPath, pair.privateKeyPem, opts.output);
  try {
    await writeNewFile(certPath, pair.certificatePem, { mode: 0o644, shown: opts.certOut });
  } catch (err) {
    await unlink(keyPath).catch(() => undefined);
    throw err;
  }
  return rsaFingerprint(pair.publicKey);
}
