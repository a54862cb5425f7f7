/**
 * Loading RSA private keys for unsealing SealedSecrets: PEM text holding one or more keys
 * (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`), or the controller's key Secret
 * (`kubernetes.io/tls`, key in `data.tls.key`), alone, in a multi-document YAML or in a
 * `List` (what `kubectl get secret -l sealedsecrets.bitnami.com/sealed-secrets-key -o yaml`
 * prints). Error messages never quote the input: it is key material.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readDocuments } from '../manifest/parse.js';
import { listItems } from '../manifest/secret.js';
import { isRecord } from '../util/record.js';
import { KeyError } from '../errors.js';
import { MIN_RSA_BITS } from './rsa-cert.js';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g;

/**
 * Every RSA private key in `text`. Throws {@link KeyError} when there is none, when a key is
 * encrypted, not RSA or under 2048 bits, or when a Secret has no `tls.key`.
 */
export function loadRsaPrivateKeys(text: string, source = 'key file'): KeyObject[] {
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length > 0) {
    const keys: KeyObject[] = [];
    blocks.forEach((block, i) => {
      const label = block[1] ?? '';
      if (!label.endsWith('PRIVATE KEY')) return; // certificates beside the key are fine
      keys.push(pemToRsaKey(block[0], label, `${source} (PEM block ${i + 1})`));
    });
    if (keys.length === 0) throw new KeyError(`failed to read ${source}: it holds PEM blocks but no private key`);
    return keys;
  }
  return keysFromSecretManifests(text, source);
}

function pemToRsaKey(pem: string, label: string, where: string): KeyObject {
  if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(pem)) {
    throw new KeyError(`failed to read ${where}: passphrase-protected keys are not supported`, {
      hint: 'decrypt it first: openssl pkey -in KEY.pem -out plain.pem',
    });
  }
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch {
    // The parser's message can echo bytes of the key, so it is not passed on.
    throw new KeyError(`failed to read ${where}: not a valid ${label}`);
  }
  return checkRsa(key, where);
}

function checkRsa(key: KeyObject, where: string): KeyObject {
  if (key.asymmetricKeyType !== 'rsa') {
    throw new KeyError(`failed to read ${where}: expected an RSA private key, got ${key.asymmetricKeyType ?? 'unknown'}`);
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    throw new KeyError(`failed to read ${where}: RSA key of ${bits} bits is below the minimum of ${MIN_RSA_BITS}`);
  }
  return key;
}

function keysFromSecretManifests(text: string, source: string): KeyObject[] {
  let docs: unknown[];
  try {
    docs = readDocuments(text, source);
  } catch {
    throw new KeyError(`failed to read ${source}: neither PEM nor a YAML/JSON Secret manifest`);
  }
  const secrets = docs.flatMap(listItems).filter(isRecord);
  const keys: KeyObject[] = [];
  secrets.forEach((secret, i) => {
    const where = `${source} (Secret ${secretName(secret, i)})`;
    if (secret.kind !== 'Secret') throw new KeyError(`failed to read ${where}: expected kind Secret, got ${String(secret.kind)}`);
    const pem = tlsKeyOf(secret, where);
    const blocks = [...pem.matchAll(PEM_BLOCK)].filter((b) => (b[1] ?? '').endsWith('PRIVATE KEY'));
    if (blocks.length === 0) throw new KeyError(`failed to read ${where}: tls.key holds no PEM private key`);
    for (const b of blocks) keys.push(pemToRsaKey(b[0], b[1] ?? '', where));
  });
  if (keys.length === 0) throw new KeyError(`failed to read ${source}: no RSA private key found`);
  return keys;
}

function tlsKeyOf(secret: Record<string, unknown>, where: string): string {
  const data = secret.data;
  if (isRecord(data) && typeof data['tls.key'] === 'string') {
    const b64 = data['tls.key'].replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw new KeyError(`failed to read ${where}: data.tls.key is not base64`);
    return Buffer.from(b64, 'base64').toString('utf8');
  }
  const stringData = secret.stringData;
  if (isRecord(stringData) && typeof stringData['tls.key'] === 'string') return stringData['tls.key'];
  throw new KeyError(`failed to read ${where}: the Secret has no tls.key entry`, {
    hint: 'the controller keeps its keys as kubernetes.io/tls Secrets with tls.key and tls.crt',
  });
}

function secretName(secret: Record<string, unknown>, index: number): string {
  const meta = secret.metadata;
  return isRecord(meta) && typeof meta.name === 'string' ? meta.name : `#${index + 1}`;
}

