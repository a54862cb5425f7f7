/**
 * Loading the public half of a cluster's SealedSecret key: an X.509 certificate from a file
 * or from the controller's `/v1/cert.pem` endpoint, checked to hold an RSA key of at least
 * 2048 bits. An expired certificate still seals (the controller keeps its old keys) but is
 * reported as a warning for the caller to print.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { isAbsolute, resolve } from 'node:path';
import { InputError, IoError, KeyError, describe } from '../errors.js';
import { rsaFingerprint } from '../crypto/rsa-fingerprint.js';

/** Smallest RSA modulus accepted for sealing. */
export const MIN_RSA_BITS = 2048;

/** A certificate checked for sealing. */
export interface RsaCertificate {
  readonly certificate: X509Certificate;
  readonly publicKey: KeyObject;
  readonly bits: number;
  /** `SHA256:…` fingerprint of the public key, as kubeseal prints it. */
  readonly fingerprint: string;
  /** Problems that do not stop sealing (an expired or not-yet-valid certificate). */
  readonly warnings: string[];
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * Parses the first certificate of a PEM text (or DER bytes) and checks its key.
 * Throws {@link InputError} when there is no certificate, {@link KeyError} when its key is not
 * RSA or is smaller than {@link MIN_RSA_BITS}.
 */
export function loadRsaCertificate(input: string | Uint8Array, options: { now?: Date; source?: string } = {}): RsaCertificate {
  const source = options.source ?? 'certificate';
  let certificate: X509Certificate;
  try {
    const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
    const pem = PEM_CERT.exec(text);
    if (pem) certificate = new X509Certificate(pem[0]);
    else if (typeof input !== 'string' && input.length > 0 && input[0] === 0x30) certificate = new X509Certificate(Buffer.from(input));
    else throw new Error('no PEM CERTIFICATE block found');
  } catch (err) {
    throw new InputError(`failed to read certificate ${source}: ${describe(err)}`, {
      cause: err,
      hint: 'pass the controller certificate (kubeseal --fetch-cert, or sealops keygen --rsa --cert-out)',
    });
  }
  const publicKey = certificate.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new KeyError(
      `failed to use certificate ${source}: expected an RSA public key, got ${publicKey.asymmetricKeyType ?? 'unknown'}`,
      { hint: 'SealedSecrets need the RSA certificate of the sealed-secrets controller' },
    );
  }
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new KeyError(`failed to use certificate ${source}: RSA key of ${bits} bits is below the minimum of ${MIN_RSA_BITS}`);
  }
  const now = options.now ?? new Date();
  const warnings: string[] = [];
  const notAfter = new Date(certificate.validTo);
  const notBefore = new Date(certificate.validFrom);
  if (now > notAfter) {
    warnings.push(`certificate ${source} expired on ${notAfter.toISOString()}; the controller may have rotated to a newer key`);
  } else if (now < notBefore) {
    warnings.push(`certificate ${source} is not valid before ${notBefore.toISOString()}`);
  }
  return { certificate, publicKey, bits, fingerprint: rsaFingerprint(publicKey), warnings };
}

/** Options of {@link fetchCertificateText}. */
export interface FetchCertificateOptions {
  /** Extra trusted CA certificates (PEM), for a controller behind a private CA. */
  readonly ca?: string | string[];
  readonly timeoutMs?: number;
}

const MAX_CERT_BYTES = 64 * 1024;

/**
 * Fetches a certificate over HTTPS (the controller's `/v1/cert.pem`). Plain HTTP is refused
 * except on loopback, where `kubectl port-forward` and `kubectl proxy` listen, because a
 * certificate fetched in the clear could be swapped for an attacker's.
 */
export async function fetchCertificateText(url: string, options: FetchCertificateOptions = {}): Promise<string> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Neither the text nor the parser's error (which quotes it): it may hold a password.
    throw new InputError('failed to fetch certificate: the URL is not valid');
  }
  url = shownUrl(parsed);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && loopback)) {
    throw new InputError(`failed to fetch certificate ${url}: only https URLs are accepted (plain http only on loopback)`);
  }
  const requester = parsed.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<string>((resolvePromise, reject) => {
    const fail = (why: string, cause?: unknown): void =>
      reject(new IoError(`failed to fetch certificate ${url}: ${why}`, cause === undefined ? undefined : { cause }));
    const req = requester(parsed, { method: 'GET', timeout: options.timeoutMs ?? 15_000, ca: options.ca }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        fail(`HTTP status ${res.statusCode ?? 'unknown'}`);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_CERT_BYTES) {
          req.destroy();
          fail(`response larger than ${MAX_CERT_BYTES} bytes`);
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolvePromise(Buffer.concat(chunks).toString('utf8')));
      res.on('error', (err) => fail(describe(err), err));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', (err) => fail(describe(err), err));
    req.end();
  });
}

/**
 * A URL as messages show it: without user, password, query and fragment, where credentials
 * for an authenticating proxy in front of the controller would sit.
 */
function shownUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/**
 * Reads a certificate from a file path (relative to `cwd`) or an http(s) URL and checks it
 * with {@link loadRsaCertificate}.
 */
export async function readRsaCertificate(
  fileOrUrl: string,
  options: FetchCertificateOptions & { cwd?: string; now?: Date } = {},
): Promise<RsaCertificate> {
  if (/^https?:\/\//i.test(fileOrUrl)) {
    const text = await fetchCertificateText(fileOrUrl, options);
    return loadRsaCertificate(text, { source: shownUrl(new URL(fileOrUrl)), now: options.now });
  }
  const path = isAbsolute(fileOrUrl) ? fileOrUrl : resolve(options.cwd ?? process.cwd(), fileOrUrl);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (err) {
    throw new IoError(`failed to read certificate ${fileOrUrl}: ${describe(err)}`, { cause: err });
  }
  return loadRsaCertificate(bytes, { source: fileOrUrl, now: options.now });
}
