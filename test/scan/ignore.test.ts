import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { applyIgnore, parseIgnoreFile } from '../../src/scan/ignore.js';
import { scanFile } from '../../src/scan/file.js';
import { plainSecret, randomChars } from './samples.js';

describe('.sealopsignore', () => {
  it('reads fingerprints with comments, blank lines and trailing notes', () => {
    const fp = 'a'.repeat(32);
    expect([...parseIgnoreFile(`# reviewed\n\n${fp}  test fixture, see #12\n`)]).toEqual([fp]);
  });

  it('refuses a malformed line and names it', () => {
    expect(() => parseIgnoreFile('# ok\nsecret.yaml\n')).toThrow(InputError);
    expect(() => parseIgnoreFile('# ok\nsecret.yaml\n')).toThrow(/line 2/);
  });

  it('marks listed findings as allowed by the ignore file and leaves others open', () => {
    const text = `apiVersion: v1\nkind: Secret\nstringData:\n  a: ${randomChars(9)}\n  b: ${randomChars(9)}\n`;
    const findings = scanFile('s.yaml', Buffer.from(text)).findings;
    const out = applyIgnore(findings, parseIgnoreFile(`${findings[1]!.fingerprint}\n`));
    expect(out.map((f) => f.allowed ?? 'open')).toEqual(['open', 'ignore-file']);
  });

  it('does not cover the same key once its value changes', () => {
    const f1 = scanFile('s.yaml', Buffer.from(plainSecret('db', 'password', randomChars(10)))).findings;
    const f2 = scanFile('s.yaml', Buffer.from(plainSecret('db', 'password', randomChars(10)))).findings;
    expect(applyIgnore(f2, new Set([f1[0]!.fingerprint]))[0]!.allowed).toBeUndefined();
  });
});
