import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { scanTokens } from '../../../src/scan/rules/tokens.js';
import { randomChars, sampleTokens } from '../samples.js';

describe('token rules', () => {
  const samples = sampleTokens();

  for (const [rule, token] of Object.entries(samples)) {
    it(`finds a ${rule} embedded in ordinary text`, () => {
      const text = `# config\nsetting: value\ntoken: ${token.includes('\n') ? `|\n  ${token.split('\n').join('\n  ')}` : token}\nother: 1\n`;
      const found = scanTokens(text);
      expect(found.map((f) => f.rule)).toEqual([rule]);
      expect(text.slice(found[0]!.offset)).toMatch(/^(AGE|-----BEGIN|AKIA|gh|gl|xo|https|AI|sk|eyJ)/);
    });
  }

  it('reports each token once even when it appears twice on different lines', () => {
    const t = samples['github-token']!;
    expect(scanTokens(`a: ${t}\nb: ${t}\n`)).toHaveLength(2);
  });

  it('ignores documentation examples and runs of one character', () => {
    const text = [
      'aws_access_key_id: AKIAIOSFODNN7EXAMPLE',
      'token: ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'webhook: https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
      'key: AIzaxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      'age: AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ',
    ].join('\n');
    expect(scanTokens(text)).toEqual([]);
  });

  it('does not flag public keys, certificates or a sentence about private keys', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const pub = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const text = `${pub}\nPut the key between -----BEGIN PRIVATE KEY----- and -----END PRIVATE KEY----- lines.\n-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n`;
    expect(scanTokens(text)).toEqual([]);
  });

  it('finds a PEM private key written with escaped newlines inside a JSON string', () => {
    const pem = samples['private-key']!;
    const json = JSON.stringify({ key: pem });
    expect(scanTokens(json).map((f) => f.rule)).toEqual(['private-key']);
  });

  it('does not take three base64url parts without a JSON header for a JWT', () => {
    const fake = `eyJ${randomChars(20)}.eyJ${randomChars(20)}.${randomChars(30)}`;
    expect(scanTokens(`x: ${fake}`)).toEqual([]);
  });

  it('skips matches inside spans another rule already reported', () => {
    const t = samples['stripe-live-key']!;
    const text = `password: ${t}\n`;
    expect(scanTokens(text, [[10, 10 + t.length]])).toEqual([]);
    expect(scanTokens(text)).toHaveLength(1);
  });

  it('keeps the token only as the fingerprint subject, which the reporters never print', () => {
    const t = samples['gitlab-token']!;
    const [f] = scanTokens(`x=${t}`);
    expect(f!.message).not.toContain(t);
    expect(f!.subject).toBe(t);
  });
});
