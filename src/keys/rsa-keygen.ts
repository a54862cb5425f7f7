/**
 * Cluster RSA keys for SealedSecrets: an RSA key (4096 bits by default, as the controller
 * makes) and a self-signed X.509 certificate shaped like the controller's own, so
 * `kubeseal --cert` and `--fetch-cert` users see nothing unusual.
 *
 * node:crypto generates the key and makes the signature (native and fast); node-forge only
 * assembles the certificate, which node:crypto cannot do.
 */
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes, sign, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import type * as Forge from 'node-forge';
import { InputError, KeyError, describe } from '../errors.js';

const generateKeyPairAsync = promisify(generateKeyPair);

// node-forge costs ~30 ms to load and only certificate building needs it: load it on first use
// (a synchronous require keeps selfSignedCertificate synchronous), so seal/unseal never pay it.
const requireCjs = createRequire(import.meta.url);
let forgeModule: typeof Forge | undefined;
function loadForge(): typeof Forge {
  return (forgeModule ??= requireCjs('node-forge') as typeof Forge);
}

/** Options of {@link generateRsaKeyPair}. */
export interface RsaKeygenOptions {
  /** Subject and issuer common name; the controller's default key prefix is used otherwise. */
  readonly commonName?: string;
  /** Validity in days from now; 3650 (the controller's `--key-ttl`) by default. */
  readonly days?: number;
  /** Modulus size; 4096 by default, never below 2048. */
  readonly bits?: number;
  /** Start of validity; now by default (tests pass a past date to make expired certificates). */
  readonly notBefore?: Date;
}

/** A generated key pair with its certificate. */
export interface RsaKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** PKCS#1 `RSA PRIVATE KEY` PEM, the form the controller stores in `tls.key`. */
  readonly privateKeyPem: string;
  /** `CERTIFICATE` PEM, the form the controller stores in `tls.crt` and serves at `/v1/cert.pem`. */
  readonly certificatePem: string;
}

/** Default common name; the controller's generated keys carry its key prefix. */
export const DEFAULT_RSA_COMMON_NAME = 'sealed-secret';

/** Generates an RSA key and a self-signed certificate for it. */
export async function generateRsaKeyPair(options: RsaKeygenOptions = {}): Promise<RsaKeyPair> {
  const bits = options.bits ?? 4096;
  const days = options.days ?? 3650;
  if (!Number.isInteger(bits) || bits < 2048 || bits > 16384) {
    throw new InputError(`failed to generate rsa key: ${bits} bits is outside 2048..16384`);
  }
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new InputError(`failed to generate rsa key: validity of ${days} days is outside 1..36500`);
  }
  // Encoded output, then key objects of our own: a KeyObject handed back by the key-generation
  // job shares that job's lock, and Node 20 deadlocks when the job is garbage-collected while such
  // a key is being exported (the GC runs inside the export, under the lock).
  const generated = await generateKeyPairAsync('rsa', {
    modulusLength: bits,
    publicExponent: 0x10001,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  const privateKey = createPrivateKey(generated.privateKey);
  const publicKey = createPublicKey(generated.publicKey);
  const certificatePem = selfSignedCertificate(privateKey, {
    commonName: options.commonName ?? DEFAULT_RSA_COMMON_NAME,
    days,
    notBefore: options.notBefore ?? new Date(),
  });
  return { privateKey, publicKey, privateKeyPem: generated.privateKey, certificatePem };
}

/**
 * A self-signed certificate for an existing RSA private key, shaped like the controller's
 * (`pkg/crypto.SignKeyWithNotBefore`): CN as subject and issuer, a random 128-bit serial,
 * CA basic constraints and the encipher-only key usage, SHA-256 with RSA.
 */
export function selfSignedCertificate(
  privateKey: KeyObject,
  options: { commonName: string; days: number; notBefore: Date },
): string {
  if (privateKey.asymmetricKeyType !== 'rsa' || privateKey.type !== 'private') {
    throw new KeyError('failed to build certificate: expected an RSA private key');
  }
  const forge = loadForge();
  const pub = forge.pki.publicKeyFromPem(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString());
  const cert = forge.pki.createCertificate();
  cert.publicKey = pub;
  // A positive serial: clear the high bit so DER does not need a sign byte.
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = options.notBefore;
  cert.validity.notAfter = new Date(options.notBefore.getTime() + options.days * 86_400_000);
  const name = [{ name: 'commonName', value: options.commonName }];
  cert.setSubject(name);
  cert.setIssuer(name);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', encipherOnly: true, critical: true },
  ]);
  // forge hands the signer its message digest after computing the TBS certificate; the signer
  // below re-signs that TBS with node:crypto instead of forge's slow pure-JS RSA.
  const signer = {
    sign: (): string => {
      const tbs = forge.asn1.toDer(cert.tbsCertificate).getBytes();
      return sign('sha256', Buffer.from(tbs, 'binary'), privateKey).toString('binary');
    },
  };
  try {
    cert.sign(signer as unknown as Forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  } catch (err) {
    throw new KeyError(`failed to sign certificate: ${describe(err)}`, { cause: err });
  }
  return forge.pki.certificateToPem(cert);
}
