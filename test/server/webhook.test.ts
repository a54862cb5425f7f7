// Webhook signature checking and repository URL matching.
import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { normalizeRepoUrl, verifySignature } from '../../src/server/webhook.js';

describe('verifySignature', () => {
  const secret = Buffer.from('s3cret');
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  const sig = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  it('accepts the HMAC-SHA256 of the exact body', () => {
    expect(verifySignature(secret, body, sig)).toBe(true);
  });

  it('refuses another body, another secret, a missing or malformed header', () => {
    expect(verifySignature(secret, Buffer.from('{"ref":"x"}'), sig)).toBe(false);
    expect(verifySignature(Buffer.from('other'), body, sig)).toBe(false);
    expect(verifySignature(secret, body, undefined)).toBe(false);
    expect(verifySignature(secret, body, sig.replace('sha256=', 'sha1='))).toBe(false);
    expect(verifySignature(secret, body, 'sha256=abcd')).toBe(false);
  });
});

describe('normalizeRepoUrl', () => {
  it('makes https, ssh and scp-like spellings of one repository equal', () => {
    const forms = ['https://git.example.com/org/app.git', 'https://user@git.example.com/org/app', 'ssh://git@git.example.com:2222/org/app.git', 'git@git.example.com:org/app.git', 'HTTPS://Git.Example.com/org/app/'];
    expect(new Set(forms.map(normalizeRepoUrl))).toEqual(new Set(['git.example.com/org/app']));
  });

  it('keeps different repositories apart', () => {
    expect(normalizeRepoUrl('https://git.example.com/org/app')).not.toBe(normalizeRepoUrl('https://git.example.com/org/app2'));
  });
});
