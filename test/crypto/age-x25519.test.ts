// The node:crypto age v1 X25519 implementation on its own: file format, STREAM chunking, armor
// strictness and tamper detection. Interop with the real age CLI is in
// test/e2e/sops-age.int.test.ts.
import { randomBytes } from 'node:crypto';
import { bech32 } from '@scure/base';
import { describe, expect, it } from 'vitest';
import {
  armorAge,
  checkPqIdentity,
  dearmorAge,
  decodeX25519Recipient,
  decryptPayload,
  encryptX25519,
  newX25519Identity,
  parseAgeFile,
  unwrapX25519,
  x25519RecipientOf,
} from '../../src/crypto/age-x25519.js';

const CHUNK = 64 * 1024;

function keyPair(): { identity: string; recipient: string } {
  const identity = newX25519Identity();
  return { identity, recipient: x25519RecipientOf(identity) };
}

function open(file: Uint8Array, identities: string[]): Buffer | null {
  const parsed = parseAgeFile(file);
  const fileKey = unwrapX25519(parsed.stanzas, identities);
  return fileKey && decryptPayload(parsed, fileKey);
}

describe('age v1 X25519 on node:crypto', () => {
  it('writes keys in the age-keygen shape and round-trips a recipient through bech32', () => {
    const { identity, recipient } = keyPair();
    expect(identity).toMatch(/^AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}$/);
    expect(recipient).toMatch(/^age1[02-9ac-hj-np-z]{58}$/);
    expect(decodeX25519Recipient(recipient)).toHaveLength(32);
    expect(() => x25519RecipientOf(identity.toLowerCase())).toThrow(/not an X25519 identity/);
    expect(() => decodeX25519Recipient(recipient.slice(0, -1) + (recipient.endsWith('q') ? 'p' : 'q'))).toThrow();
    expect(decodeX25519Recipient(recipient.toUpperCase()).equals(decodeX25519Recipient(recipient))).toBe(true);
    expect(() => decodeX25519Recipient(recipient.slice(0, 10).toUpperCase() + recipient.slice(10))).toThrow();
    const raw = decodeX25519Recipient(recipient);
    expect(() => decodeX25519Recipient(bech32.encode('agf', bech32.toWords(raw)))).toThrow(/not an X25519 recipient/);
    expect(() => decodeX25519Recipient(bech32.encode('age', bech32.toWords(raw.subarray(1))))).toThrow(/not an X25519 recipient/);
    expect(() => x25519RecipientOf(`AGE-SECRET-KEY-PQ-1${identity.slice(16)}`)).toThrow();
  });

  it('round-trips empty, one-chunk, chunk-boundary and multi-chunk payloads for several recipients', () => {
    const a = keyPair();
    const b = keyPair();
    for (const n of [0, 1, 32, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 17]) {
      const plain = randomBytes(n);
      const file = encryptX25519(plain, [a.recipient, b.recipient]);
      // One tag per chunk; an exact multiple of the chunk size adds no empty final chunk.
      const chunks = Math.max(1, Math.ceil(n / CHUNK));
      expect(parseAgeFile(file).payload.length).toBe(16 + n + 16 * chunks);
      expect(open(file, [b.identity])!.equals(plain)).toBe(true);
      expect(open(file, [a.identity])!.equals(plain)).toBe(true);
    }
  });

  it('writes a header with one X25519 stanza per recipient and a 32-byte MAC', () => {
    const recipients = [keyPair(), keyPair(), keyPair()].map((k) => k.recipient);
    const parsed = parseAgeFile(encryptX25519(randomBytes(32), recipients));
    expect(parsed.stanzas.map((s) => s.args[0])).toEqual(['X25519', 'X25519', 'X25519']);
    expect(parsed.stanzas.every((s) => s.body.length === 32 && s.args.length === 2)).toBe(true);
    expect(new Set(parsed.stanzas.map((s) => s.args[1])).size).toBe(3);
    expect(parsed.mac).toHaveLength(32);
    expect(parsed.headerNoMac.toString('latin1')).toMatch(/^age-encryption\.org\/v1\n(-> X25519 [A-Za-z0-9+/]{43}\n[A-Za-z0-9+/]{43}\n){3}---$/);
  });

  it('returns null for an identity that is not a recipient, and never opens with a wrong one', () => {
    const file = encryptX25519(randomBytes(32), [keyPair().recipient]);
    expect(open(file, [keyPair().identity, keyPair().identity])).toBeNull();
    expect(open(file, [])).toBeNull();
  });

  it('rejects a tampered header MAC, a tampered payload and a cut payload', () => {
    const k = keyPair();
    const plain = randomBytes(CHUNK + 100);
    const file = encryptX25519(plain, [k.recipient]);
    const macAt = file.indexOf('\n--- ') + 5;
    const badMac = Buffer.from(file);
    badMac[macAt] = badMac[macAt] === 0x41 ? 0x42 : 0x41;
    expect(() => open(badMac, [k.identity])).toThrow(/bad header MAC/);
    const badBody = Buffer.from(file);
    badBody[badBody.length - 50]! ^= 1;
    expect(() => open(badBody, [k.identity])).toThrow(/tampered payload/);
    // Cut at the chunk boundary: the first chunk now looks final but was sealed as not final.
    const headerLen = file.length - parseAgeFile(file).payload.length;
    expect(() => open(file.subarray(0, headerLen + 16 + CHUNK + 16), [k.identity])).toThrow(/truncated or tampered/);
    expect(() => open(file.subarray(0, headerLen + 10), [k.identity])).toThrow(/truncated payload/);
    expect(() => open(file.subarray(0, file.length - 1), [k.identity])).toThrow(/truncated or tampered/);
  });

  it('treats a tampered stanza body as "not mine", as age does', () => {
    const k = keyPair();
    const file = encryptX25519(randomBytes(32), [k.recipient]);
    const text = file.toString('latin1');
    const bodyLine = text.split('\n')[2]!;
    const flipped = (bodyLine[0] === 'A' ? 'B' : 'A') + bodyLine.slice(1);
    expect(open(Buffer.from(text.replace(bodyLine, flipped), 'latin1'), [k.identity])).toBeNull();
  });

  it('refuses malformed headers: version, stanza arguments, body lines, MAC line, CRLF', () => {
    const k = keyPair();
    const text = encryptX25519(randomBytes(32), [k.recipient]).toString('latin1');
    const lines = text.split('\n');
    const variants: Array<[string, string]> = [
      ['version', text.replace('age-encryption.org/v1', 'age-encryption.org/v2')],
      ['arguments', text.replace('-> X25519 ', '->  X25519 ')],
      ['non-canonical base64', text.replace(lines[2]!, lines[2]!.slice(0, -1) + (lines[2]!.endsWith('B') ? 'C' : 'B'))],
      ['long body line', text.replace(lines[2]!, lines[2]!.repeat(2))],
      ['MAC line', text.replace('\n--- ', '\n---')],
      ['CRLF', text.replace('age-encryption.org/v1\n', 'age-encryption.org/v1\r\n')],
      ['no MAC line', lines.slice(0, 3).join('\n')],
    ];
    for (const [what, bad] of variants) {
      expect(() => open(Buffer.from(bad, 'latin1'), [k.identity]), what).toThrow();
    }
    const noArgs = text.replace(/-> X25519 \S+/, '-> X25519');
    expect(() => open(Buffer.from(noArgs, 'latin1'), [k.identity])).toThrow(/malformed X25519 stanza/);
  });

  it('armors in 64 columns with padding and accepts only that shape back (CRLF and outer whitespace aside)', () => {
    const file = encryptX25519(randomBytes(100), [keyPair().recipient]);
    const armored = armorAge(file);
    const lines = armored.split('\n');
    expect(lines[0]).toBe('-----BEGIN AGE ENCRYPTED FILE-----');
    expect(lines.at(-2)).toBe('-----END AGE ENCRYPTED FILE-----');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(1, -3).every((l) => l.length === 64)).toBe(true);
    expect(dearmorAge(armored).equals(file)).toBe(true);
    expect(dearmorAge(`\n  ${armored.replaceAll('\n', '\r\n')}  \n`).equals(file)).toBe(true);
    expect(() => dearmorAge(armored.replace('-----BEGIN AGE', '-----BEGIN XAGE'))).toThrow(/header/);
    expect(() => dearmorAge(armored.replace('-----END AGE', '-----END XAGE'))).toThrow(/footer/);
    expect(() => dearmorAge(armored.replace(lines[1]!, lines[1]!.slice(1)))).toThrow(/malformed armor line/);
    expect(() => dearmorAge(armored.replace(lines[1]!, `${lines[1]!.slice(0, 32)}!${lines[1]!.slice(33)}`))).toThrow(/malformed armor line/);
  });

  it('checks post-quantum identity strings without loading age-encryption', () => {
    expect(() => checkPqIdentity('AGE-SECRET-KEY-PQ-1NOTAKEY')).toThrow();
    expect(() => checkPqIdentity(newX25519Identity())).toThrow(/not a post-quantum identity/);
  });
});
