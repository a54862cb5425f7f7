/**
 * The certificates a throwaway control plane needs: one CA that signs the API server's serving
 * certificate and every client certificate, plus the service-account signing key pair.
 *
 * Keys come from `node:crypto` (native, milliseconds); node-forge only assembles and signs the
 * X.509 structures, which `node:crypto` cannot do. Nothing here is meant to outlive a test run.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import forge from 'node-forge';

/** A PEM certificate with its PEM (PKCS#1) private key. */
export interface CertifiedKey {
  /** PEM certificate. */
  certPem: string;
  /** PEM private key (`RSA PRIVATE KEY`). */
  keyPem: string;
}

/** A PEM key pair, as the API server's service-account flags want it. */
export interface KeyPair {
  /** PEM public key (SPKI). */
  publicPem: string;
  /** PEM private key (PKCS#1). */
  privatePem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** A fresh RSA-2048 key pair in PEM. 2048 bits keeps start-up fast; nothing here is long-lived. */
export function rsaKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  });
  return { publicPem: publicKey, privatePem: privateKey };
}

function baseCertificate(publicPem: string, commonName: string, organizations: string[]): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  // A leading 0x01 byte keeps the DER integer positive, which Go's x509 parser insists on.
  cert.serialNumber = `01${randomBytes(15).toString('hex')}`;
  // Back-date a minute so a slightly skewed clock between Node and Go cannot reject it.
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 30 * DAY_MS);
  cert.setSubject([
    { name: 'commonName', value: commonName },
    ...organizations.map((value) => ({ name: 'organizationName', value })),
  ]);
  return cert;
}

/** A self-signed CA that can sign serving and client certificates. */
export function createCa(commonName = 'sealops-test-ca'): CertifiedKey {
  const keys = rsaKeyPair();
  const cert = baseCertificate(keys.publicPem, commonName, []);
  cert.setIssuer(cert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(keys.privatePem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}

/** What a leaf certificate is for. */
export type LeafUsage =
  | { kind: 'server'; dnsNames: string[]; ipAddresses: string[] }
  | { kind: 'client'; organizations: string[] };

/**
 * A leaf certificate signed by `ca`. For a client certificate the common name is the
 * Kubernetes user name and each organization a group (`system:masters` grants everything).
 */
export function signLeaf(ca: CertifiedKey, commonName: string, usage: LeafUsage): CertifiedKey {
  const keys = rsaKeyPair();
  const caCert = forge.pki.certificateFromPem(ca.certPem);
  const cert = baseCertificate(keys.publicPem, commonName, usage.kind === 'client' ? usage.organizations : []);
  cert.setIssuer(caCert.subject.attributes);
  const extensions: object[] = [
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    usage.kind === 'server' ? { name: 'extKeyUsage', serverAuth: true } : { name: 'extKeyUsage', clientAuth: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ];
  if (usage.kind === 'server') {
    extensions.push({
      name: 'subjectAltName',
      altNames: [
        ...usage.dnsNames.map((value) => ({ type: 2, value })),
        ...usage.ipAddresses.map((ip) => ({ type: 7, ip })),
      ],
    });
  }
  cert.setExtensions(extensions);
  cert.sign(forge.pki.privateKeyFromPem(ca.keyPem), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem };
}
