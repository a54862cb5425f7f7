import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DecryptError, InputError } from '../../src/index.js';
import { decryptValue, encryptValue, isEncValue, parseEncValue } from '../../src/crypto/aesgcm.js';
import { generateDataKey } from '../../src/crypto/datakey.js';

// The first value of the sops 3.7.1 vector (test/vectors/sops/README.md) and its recorded data key.
const VECTOR_KEY = Buffer.from('9ac088cf7029981341457c39dd56dde54600dfbce9b5ede23aa65c418900ab67', 'hex');
const VECTOR_ENC = readFileSync(join(import.meta.dirname, '../vectors/sops/sops-pr1031/example.yaml'), 'utf8').match(/^myapp1: (ENC\[[^\]]+\])/m)?.[1] ?? '';

describe('SOPS value envelopes', () => {
  it('opens a value written by sops 3.7.1 with its path as AAD', () => {
    const { plaintext, type } = decryptValue(VECTOR_KEY, VECTOR_ENC, 'myapp1:', 'myapp1');
    expect(plaintext.toString()).toBe('t00m4nys3cr3tzupdated');
    expect(type).toBe('str');
  });

  it('writes a 32-byte IV, a 16-byte tag and the type, and reproduces a value from a fixed IV', () => {
    const key = generateDataKey();
    const iv = Buffer.alloc(32, 7);
    const enc = encryptValue(key, Buffer.from('hello'), 'a:b:', 'str', iv);
    const parts = parseEncValue(enc, 'a.b');
    expect(parts.iv.equals(iv)).toBe(true);
    expect(parts.tag).toHaveLength(16);
    expect(parts.data).toHaveLength(5);
    expect(encryptValue(key, Buffer.from('hello'), 'a:b:', 'str', iv)).toBe(enc);
    expect(encryptValue(key, Buffer.from('hello'), 'a:b:', 'str')).not.toBe(enc);
  });

  it('fails authentication under another path, another key or with a flipped bit', () => {
    const key = generateDataKey();
    const enc = encryptValue(key, Buffer.from('secret'), 'data:a:', 'str');
    expect(decryptValue(key, enc, 'data:a:', 'x').plaintext.toString()).toBe('secret');
    expect(() => decryptValue(key, enc, 'data:b:', 'x')).toThrow(DecryptError);
    expect(() => decryptValue(generateDataKey(), enc, 'data:a:', 'x')).toThrow(DecryptError);
    const flipped = enc.replace(/data:(.)/, (_m, c: string) => `data:${c === 'A' ? 'B' : 'A'}`);
    expect(() => decryptValue(key, flipped, 'data:a:', 'x')).toThrow(DecryptError);
  });

  it('reports malformed envelopes as input errors naming the place, not the content', () => {
    const key = generateDataKey();
    const enc = encryptValue(key, Buffer.from('secret'), 'a:', 'str');
    for (const bad of [enc.slice(0, -10), enc.replace('type:str', 'type:blob'), enc.replace(/iv:[^,]*/, 'iv:AAAA')]) {
      const err = (() => {
        try {
          decryptValue(key, bad, 'a:', 'file.yaml: a');
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(InputError);
      expect((err as Error).message).toContain('file.yaml: a');
    }
    expect(isEncValue('plain')).toBe(false);
    expect(isEncValue(enc)).toBe(true);
  });
});
