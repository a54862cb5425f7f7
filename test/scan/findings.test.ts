import { describe, expect, it } from 'vitest';
import { scanFile } from '../../src/scan/file.js';
import { fingerprint } from '../../src/scan/findings.js';
import { plainSecret, randomChars } from './samples.js';

describe('fingerprints', () => {
  it('stay the same when the finding moves to another line', () => {
    const v = randomChars(14);
    const a = scanFile('s.yaml', Buffer.from(plainSecret('db', 'password', v))).findings[0]!;
    const b = scanFile('s.yaml', Buffer.from('# a comment\n# another\n' + plainSecret('db', 'password', v))).findings[0]!;
    expect(b.line).toBe(a.line + 2);
    expect(b.fingerprint).toBe(a.fingerprint);
  });

  it('change with the secret, the path and the rule', () => {
    const base = fingerprint('secret-plaintext-data', 'a.yaml', 'v1');
    expect(fingerprint('secret-plaintext-data', 'a.yaml', 'v2')).not.toBe(base);
    expect(fingerprint('secret-plaintext-data', 'b.yaml', 'v1')).not.toBe(base);
    expect(fingerprint('secret-plaintext-stringdata', 'a.yaml', 'v1')).not.toBe(base);
    expect(base).toMatch(/^[0-9a-f]{32}$/);
  });

  it('do not contain the secret', () => {
    const v = randomChars(32, 'abcdef0123456789');
    expect(fingerprint('jwt', 'x', v)).not.toContain(v.slice(0, 8));
  });
});
