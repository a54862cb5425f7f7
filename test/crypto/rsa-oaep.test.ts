import { constants, createDecipheriv, privateDecrypt, type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  hybridDecrypt,
  hybridDecryptWith,
  hybridEncrypt,
  parseHybridEnvelope,
  rsaFingerprint,
  scopeLabel,
  SEALING_SCOPES,
} from '../../src/crypto/index.js';
import { DecryptError, InputError, KeyError } from '../../src/errors.js';
import { rsaKeyPair } from '../support/rsa.js';

/**
 * A decoder written from the format description alone, sharing no code with sealops:
 * uint16 BE length, RSA-OAEP-SHA256 (MGF1 SHA-256) with the label, AES-256-GCM with a zero
 * nonce and the tag at the end.
 */
function independentDecode(privateKey: KeyObject, value: Buffer, label: string): Buffer {
  const n = value.readUInt16BE(0);
  const wrapped = value.subarray(2, 2 + n);
  const rest = value.subarray(2 + n);
  const sessionKey = privateDecrypt(
    { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from(label) },
    wrapped,
  );
  const d = createDecipheriv('aes-256-gcm', sessionKey, Buffer.alloc(12));
  d.setAuthTag(rest.subarray(rest.length - 16));
  return Buffer.concat([d.update(rest.subarray(0, rest.length - 16)), d.final()]);
}

let key4096: { publicKey: KeyObject; privateKey: KeyObject };
let other: { publicKey: KeyObject; privateKey: KeyObject };

beforeAll(() => {
  key4096 = rsaKeyPair(4096);
  other = rsaKeyPair(2048);
});

describe('scopeLabel', () => {
  it('is namespace/name for strict, the namespace for namespace-wide and empty for cluster-wide', () => {
    expect(scopeLabel('strict', 'ns-a', 'db').toString()).toBe('ns-a/db');
    expect(scopeLabel('namespace-wide', 'ns-a', 'db').toString()).toBe('ns-a');
    expect(scopeLabel('cluster-wide', 'ns-a', 'db').length).toBe(0);
  });
});

describe('hybridEncrypt', () => {
  const labels: Record<string, string> = { strict: 'ns-a/db', 'namespace-wide': 'ns-a', 'cluster-wide': '' };

  it.each(SEALING_SCOPES)('seals values the independent decoder opens with the %s label', (scope) => {
    const plaintext = Buffer.from(`p4ss-${scope}-\u00e9\u0000\u00ff`, 'utf8');
    const sealed = hybridEncrypt(key4096.publicKey, plaintext, scopeLabel(scope, 'ns-a', 'db'));
    expect(independentDecode(key4096.privateKey, sealed, labels[scope]!)).toEqual(plaintext);
  });

  it('lays the value out as a 2-byte length, a 512-byte RSA block for RSA-4096, then ciphertext plus a 16-byte tag', () => {
    const plaintext = Buffer.from('twelve bytes');
    const sealed = hybridEncrypt(key4096.publicKey, plaintext, Buffer.from('ns/x'));
    expect(sealed.readUInt16BE(0)).toBe(512);
    expect(sealed.length).toBe(2 + 512 + plaintext.length + 16);
  });

  it('uses a fresh session key for every value, so sealing the same value twice differs', () => {
    const a = hybridEncrypt(key4096.publicKey, Buffer.from('same'), Buffer.from('ns/x'));
    const b = hybridEncrypt(key4096.publicKey, Buffer.from('same'), Buffer.from('ns/x'));
    expect(a.equals(b)).toBe(false);
    expect(a.subarray(514).equals(b.subarray(514))).toBe(false);
  });

  it('seals an empty value', () => {
    const sealed = hybridEncrypt(other.publicKey, Buffer.alloc(0), Buffer.from(''));
    expect(hybridDecrypt([other.privateKey], sealed, Buffer.from(''))).toEqual(Buffer.alloc(0));
  });
});

describe('hybridDecryptWith', () => {
  it('returns null for a value sealed under another label ("not mine", not an error)', () => {
    const sealed = hybridEncrypt(key4096.publicKey, Buffer.from('v'), Buffer.from('ns-a/db'));
    expect(hybridDecryptWith(key4096.privateKey, sealed, Buffer.from('ns-b/db'))).toBeNull();
    expect(hybridDecryptWith(key4096.privateKey, sealed, Buffer.from('ns-a/db'))?.toString()).toBe('v');
  });

  it('returns null for a value sealed to another key of the same size', () => {
    const twin = rsaKeyPair(2048);
    const sealed = hybridEncrypt(other.publicKey, Buffer.from('v'), Buffer.from('l'));
    expect(hybridDecryptWith(twin.privateKey, sealed, Buffer.from('l'))).toBeNull();
  });
});

describe('hybridDecrypt', () => {
  it('tries every key and opens with the one that matches', () => {
    const sealed = hybridEncrypt(key4096.publicKey, Buffer.from('secret'), Buffer.from('ns/n'));
    expect(hybridDecrypt([other.privateKey, key4096.privateKey], sealed, Buffer.from('ns/n')).toString()).toBe('secret');
  });

  it('throws one KeyError listing each attempt by fingerprint and never key material when no key matches', () => {
    const twin = rsaKeyPair(4096);
    const sealed = hybridEncrypt(key4096.publicKey, Buffer.from('hunter2-value'), Buffer.from('ns/n'));
    let error: unknown;
    try {
      hybridDecrypt([twin.privateKey, other.privateKey], sealed, Buffer.from('ns/n'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(KeyError);
    const message = (error as Error).message;
    expect(message).toContain(rsaFingerprint(twin.privateKey));
    expect(message).toContain(rsaFingerprint(other.privateKey));
    expect(message).toMatch(/no key matches/);
    const pem = twin.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    const body = pem.split('\n')[1]!;
    expect(message).not.toContain(body);
    expect(message).not.toContain('hunter2');
  });

  it('refuses a value truncated inside its RSA block with an InputError', () => {
    const sealed = hybridEncrypt(key4096.publicKey, Buffer.from('value'), Buffer.from('l'));
    expect(() => hybridDecrypt([key4096.privateKey], sealed.subarray(0, 300), Buffer.from('l'))).toThrow(InputError);
    expect(() => hybridDecrypt([key4096.privateKey], sealed.subarray(0, 300), Buffer.from('l'))).toThrow(/truncated/);
    expect(() => hybridDecrypt([key4096.privateKey], sealed.subarray(0, 1), Buffer.from('l'))).toThrow(/too short/);
  });

  it('refuses a value truncated inside its AES part with a DecryptError', () => {
    const sealed = hybridEncrypt(key4096.publicKey, Buffer.from('a longer value of some bytes'), Buffer.from('l'));
    expect(() => hybridDecrypt([key4096.privateKey], sealed.subarray(0, sealed.length - 5), Buffer.from('l'))).toThrow(DecryptError);
  });

  it('refuses a value whose length prefix lies', () => {
    const sealed = hybridEncrypt(key4096.publicKey, Buffer.from('value-xyz'), Buffer.from('l'));
    const longer = Buffer.from(sealed);
    longer.writeUInt16BE(513, 0);
    expect(() => hybridDecrypt([key4096.privateKey], longer, Buffer.from('l'))).toThrow(InputError);
    expect(() => hybridDecrypt([key4096.privateKey], longer, Buffer.from('l'))).toThrow(
      /the length prefix says 513 bytes but the RSA block is 512 bytes \(the value was altered\)/,
    );
    const shorter = Buffer.from(sealed);
    shorter.writeUInt16BE(511, 0);
    expect(() => hybridDecrypt([other.privateKey, key4096.privateKey], shorter, Buffer.from('l'))).toThrow(/says 511 bytes/);
    // Without the right key, a lying prefix cannot be told from a wrong key.
    expect(() => hybridDecrypt([other.privateKey], longer, Buffer.from('l'))).toThrow(KeyError);
    const huge = Buffer.from(sealed);
    huge.writeUInt16BE(60000, 0);
    expect(() => hybridDecrypt([key4096.privateKey], huge, Buffer.from('l'))).toThrow(/truncated/);
    const tiny = Buffer.from(sealed);
    tiny.writeUInt16BE(16, 0);
    expect(() => parseHybridEnvelope(tiny)).toThrow(/less than any RSA key/);
  });

  it('refuses a value whose AES-GCM tag was tampered with, and says so without the value', () => {
    const sealed = hybridEncrypt(key4096.publicKey, Buffer.from('tamper-me-please'), Buffer.from('l'));
    const tampered = Buffer.from(sealed);
    tampered[tampered.length - 1]! ^= 0x01;
    expect(() => hybridDecrypt([key4096.privateKey], tampered, Buffer.from('l'))).toThrow(DecryptError);
    expect(() => hybridDecrypt([key4096.privateKey], tampered, Buffer.from('l'))).toThrow(/authentication failed/);
    const flippedBody = Buffer.from(sealed);
    flippedBody[2 + 512]! ^= 0x80;
    expect(() => hybridDecrypt([key4096.privateKey], flippedBody, Buffer.from('l'))).toThrow(DecryptError);
  });

  it('says which key size the value was sealed for when every key has another size', () => {
    const sealed = hybridEncrypt(key4096.publicKey, Buffer.from('v'), Buffer.from('l'));
    expect(() => hybridDecrypt([other.privateKey], sealed, Buffer.from('l'))).toThrow(/sealed for a 4096-bit key/);
  });

  it('throws a KeyError with a hint when no key is given', () => {
    const sealed = hybridEncrypt(other.publicKey, Buffer.from('v'), Buffer.from('l'));
    expect(() => hybridDecrypt([], sealed, Buffer.from('l'))).toThrow(KeyError);
  });
});

describe('rsaFingerprint', () => {
  it('matches what ssh-keygen prints for the same public key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealops-fp-'));
    const pubPath = join(dir, 'pub.pem');
    writeFileSync(pubPath, other.publicKey.export({ type: 'spki', format: 'pem' }));
    const sshPub = execFileSync('ssh-keygen', ['-i', '-m', 'PKCS8', '-f', pubPath]).toString();
    writeFileSync(join(dir, 'key.pub'), sshPub);
    const line = execFileSync('ssh-keygen', ['-l', '-f', join(dir, 'key.pub')]).toString();
    expect(line.split(' ')[1]).toBe(rsaFingerprint(other.publicKey));
    expect(rsaFingerprint(other.privateKey)).toBe(rsaFingerprint(other.publicKey));
  });
});
