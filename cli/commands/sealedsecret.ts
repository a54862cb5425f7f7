// STUB with the agreed signatures: the SealedSecret owner replaces the bodies; the sops-side
// commands (keygen, seal, unseal, verify) call these for the sealedsecret format.
import type { CliIo } from '../io.js';
import { UsageError } from '../../src/index.js';

/** Options of `sealops keygen --rsa`. */
export interface RsaKeygenOptions {
  output: string;
  certOut: string;
  cn?: string;
  days?: number;
}

/** `sealops keygen --rsa -o KEY.pem --cert-out CERT.pem`. */
export function keygenRsa(_opts: RsaKeygenOptions, _io: CliIo): Promise<void> {
  return Promise.reject(new UsageError('failed to generate rsa key: not implemented yet'));
}

/** Options of `sealops seal --format sealedsecret`. */
export interface SealedSecretSealOptions {
  /** Certificate file path or https URL. */
  cert: string;
  scope?: 'strict' | 'namespace-wide' | 'cluster-wide';
  /** An existing SealedSecret file to merge new keys into (`--merge-into`). */
  mergeInto?: string;
  /** What the input is called in messages (a file name or `<stdin>`). */
  source: string;
}

/** Seals a Secret manifest (YAML or JSON bytes) into a SealedSecret; returns the output bytes. */
export function sealAsSealedSecret(_input: Buffer, _opts: SealedSecretSealOptions, _io: CliIo): Promise<Buffer> {
  return Promise.reject(new UsageError('failed to seal as sealedsecret: not implemented yet'));
}

/** True when the text holds a bitnami.com SealedSecret (so unseal/verify dispatch here). */
export function isSealedSecretText(_text: string): boolean {
  return false;
}

/** Unseals a SealedSecret with RSA private keys (PEM files or Secret manifests with tls.key). */
export function unsealSealedSecretText(_input: Buffer, _keyFiles: string[], _source: string, _io: CliIo): Promise<Buffer> {
  return Promise.reject(new UsageError('failed to unseal sealedsecret: not implemented yet'));
}

/** Verifies a SealedSecret: structurally without keys, fully with them. */
export function verifySealedSecretText(
  _input: Buffer,
  _keyFiles: string[],
  _source: string,
  _io: CliIo,
): Promise<{ ok: boolean; problems: string[] }> {
  return Promise.reject(new UsageError('failed to verify sealedsecret: not implemented yet'));
}
