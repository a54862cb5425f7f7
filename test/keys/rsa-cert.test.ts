import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  fetchCertificateText,
  generateRsaKeyPair,
  loadRsaCertificate,
  readRsaCertificate,
  selfSignedCertificate,
  type RsaKeyPair,
} from '../../src/keys/index.js';
import { rsaFingerprint } from '../../src/crypto/index.js';
import { InputError, IoError, KeyError } from '../../src/errors.js';
import { rsaKeyPair } from '../support/rsa.js';

let pair: RsaKeyPair;
let dir: string;

/** Certificates made by the real openssl CLI, for key types sealops itself never makes. */
function opensslCert(name: string, newkey: string[]): string {
  const out = join(dir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', ...newkey, '-nodes', '-keyout', join(dir, `${name}.key`), '-out', out, '-subj', `/CN=${name}`, '-days', '2'], {
    stdio: 'pipe',
  });
  return readFileSync(out, 'utf8');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealops-cert-'));
  pair = await generateRsaKeyPair({ bits: 2048 });
});

describe('loadRsaCertificate', () => {
  it('returns the public key, its size and its fingerprint', () => {
    const cert = loadRsaCertificate(pair.certificatePem);
    expect(cert.publicKey.equals(pair.publicKey)).toBe(true);
    expect(cert.bits).toBe(2048);
    expect(cert.fingerprint).toBe(rsaFingerprint(pair.publicKey));
  });

  it('reads DER bytes as well as PEM', () => {
    const der = Buffer.from(pair.certificatePem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    expect(loadRsaCertificate(der).publicKey.equals(pair.publicKey)).toBe(true);
  });

  it('refuses a certificate whose key is not RSA (EC and Ed25519, made by openssl)', () => {
    const ec = opensslCert('ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']);
    expect(() => loadRsaCertificate(ec, { source: 'ec.crt' })).toThrow(KeyError);
    expect(() => loadRsaCertificate(ec, { source: 'ec.crt' })).toThrow(/failed to use certificate ec.crt: expected an RSA public key, got ec/);
    const ed = opensslCert('ed', ['-newkey', 'ed25519']);
    expect(() => loadRsaCertificate(ed)).toThrow(/got ed25519/);
  });

  it('refuses an RSA key of 1024 bits', () => {
    const small = rsaKeyPair(1024);
    const pem = selfSignedCertificate(small.privateKey, { commonName: 'weak', days: 10, notBefore: new Date() });
    expect(() => loadRsaCertificate(pem)).toThrow(KeyError);
    expect(() => loadRsaCertificate(pem)).toThrow(/1024 bits is below the minimum of 2048/);
  });

  it('accepts an expired certificate but returns a warning naming the expiry date', async () => {
    const old = await generateRsaKeyPair({ bits: 2048, days: 1, notBefore: new Date('2020-01-01T00:00:00Z') });
    const cert = loadRsaCertificate(old.certificatePem, { source: 'old.pem' });
    expect(cert.warnings).toHaveLength(1);
    expect(cert.warnings[0]).toMatch(/certificate old\.pem expired on 2020-01-02T00:00:00\.000Z/);
    expect(loadRsaCertificate(old.certificatePem, { now: new Date('2020-01-01T12:00:00Z') }).warnings).toEqual([]);
  });

  it('refuses text without a certificate with an InputError and a hint', () => {
    expect(() => loadRsaCertificate('hello', { source: 'x.pem' })).toThrow(InputError);
    try {
      loadRsaCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    } catch (err) {
      expect((err as InputError).hint).toMatch(/controller certificate/);
    }
  });
});

describe('readRsaCertificate and fetchCertificateText', () => {
  let server: Server;
  let base: string;
  let serverCa: string;

  beforeAll(async () => {
    // A real HTTPS server with a certificate for 127.0.0.1, serving /v1/cert.pem as the controller does.
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'tls.key'), '-out', join(dir, 'tls.crt'), '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '2'],
      { stdio: 'pipe' },
    );
    serverCa = readFileSync(join(dir, 'tls.crt'), 'utf8');
    server = createServer({ key: readFileSync(join(dir, 'tls.key')), cert: serverCa }, (req, res) => {
      if (req.url === '/v1/cert.pem') {
        res.writeHead(200, { 'content-type': 'application/x-pem-file' });
        res.end(pair.certificatePem);
      } else if (req.url === '/big') {
        res.writeHead(200);
        res.end(Buffer.alloc(100_000, 0x41));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("fetches the controller's /v1/cert.pem over https", async () => {
    const cert = await readRsaCertificate(`${base}/v1/cert.pem`, { ca: serverCa });
    expect(cert.publicKey.equals(pair.publicKey)).toBe(true);
  });

  it('refuses a server whose TLS certificate it cannot verify', async () => {
    await expect(fetchCertificateText(`${base}/v1/cert.pem`)).rejects.toThrow(IoError);
  });

  it('reports an HTTP error status and an oversized response', async () => {
    await expect(fetchCertificateText(`${base}/nope`, { ca: serverCa })).rejects.toThrow(/HTTP status 404/);
    await expect(fetchCertificateText(`${base}/big`, { ca: serverCa })).rejects.toThrow(/larger than/);
  });

  it('never prints the credentials or query of a certificate URL in an error', async () => {
    const withCreds = `${base.replace('https://', 'https://deploy:tok-XYZZY@')}/nope?token=q-XYZZY`;
    const messages: string[] = [];
    // Thunks, started one at a time: a promise that rejects before it is awaited is an
    // unhandled rejection.
    for (const attempt of [
      () => fetchCertificateText(withCreds, { ca: serverCa }),
      () => readRsaCertificate(withCreds, { ca: serverCa }),
      () => fetchCertificateText('https://deploy:tok-XYZZY@[bad/cert.pem'),
      () => fetchCertificateText('http://deploy:tok-XYZZY@controller.example/v1/cert.pem?token=q-XYZZY'),
    ]) {
      const err = await attempt().then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      messages.push((err as Error).message);
    }
    expect(messages.join('\n')).not.toContain('XYZZY');
    expect(messages[0]).toBe(`failed to fetch certificate ${base}/nope: HTTP status 404`);
    expect(messages[3]).toMatch(/^failed to fetch certificate http:\/\/controller\.example\/v1\/cert\.pem: only https/);
  });

  it('refuses plain http except on loopback', async () => {
    await expect(fetchCertificateText('http://controller.example/v1/cert.pem')).rejects.toThrow(/only https/);
    await expect(fetchCertificateText('ftp://x/y')).rejects.toThrow(InputError);
  });

  it('reads a certificate file relative to the working directory, and names a missing one', async () => {
    writeFileSync(join(dir, 'cert.pem'), pair.certificatePem);
    expect((await readRsaCertificate('cert.pem', { cwd: dir })).bits).toBe(2048);
    await expect(readRsaCertificate('missing.pem', { cwd: dir })).rejects.toThrow(/failed to read certificate missing.pem/);
  });
});
