// The agent's redaction: every decrypted value, whatever its field or length, stays out of text.
import { describe, expect, it } from 'vitest';
import { decryptedValues, redactFieldValues, redactText } from '../../../src/agent/redact/index.js';

const enc = (n: number): string => `ENC[AES256_GCM,data:x${n},iv:y,tag:z,type:str]`;

describe('decryptedValues', () => {
  it('lists every value decrypted from a SOPS ciphertext, in any field, and nothing that was plain', () => {
    const sealed = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', labels: { tier: enc(1), team: 'plain-team' }, annotations: { hook: enc(2) } },
      spec: { url: enc(3), replicas: enc(4), nested: { list: [enc(5), 'plain-item'] } },
    };
    const unsealed = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', labels: { tier: 'ab' }, annotations: { hook: 'https://u:canary-pass@hooks.example' }, team: 'plain-team' },
      spec: { url: 'https://canary-host.example', replicas: 3, nested: { list: ['canary-item', 'plain-item'] } },
    };
    expect(decryptedValues(sealed, unsealed).sort()).toEqual(['3', 'ab', 'canary-item', 'https://canary-host.example', 'https://u:canary-pass@hooks.example'].sort());
  });

  it('lists the base64-decoded form of a sealed Secret data value', () => {
    const b64 = Buffer.from('pw').toString('base64');
    expect(decryptedValues({ kind: 'Secret', data: { p: enc(1) } }, { kind: 'Secret', data: { p: b64 } })).toEqual([b64, 'pw']);
  });

  it('lists the values of a SealedSecret, but not the template metadata that was public in git', () => {
    const secret = { kind: 'Secret', metadata: { name: 'db', labels: { app: 'web' } }, data: { p: Buffer.from('s3').toString('base64') }, stringData: { q: 'x' } };
    expect(decryptedValues({ kind: 'SealedSecret', spec: {} }, secret)).toEqual([Buffer.from('s3').toString('base64'), 's3', 'x']);
  });
});

describe('redactText', () => {
  it('replaces a quoted string that contains a short secret, and leaves other words alone', () => {
    const out = redactText('Widget "w" is invalid: spec.url: Invalid value: "http://ab@x": bad; spec.size: Required value', ['ab']);
    expect(out).not.toContain('ab@');
    expect(out).toContain('"w" is invalid');
    expect(out).toContain('Required value');
  });

  it('cuts long secrets and their base64 form out of unquoted text', () => {
    const out = redactText(`token canary-long-value and ${Buffer.from('canary-long-value').toString('base64')}`, ['canary-long-value']);
    expect(out).toBe('token [REDACTED] and [REDACTED]');
  });
});

describe('redactFieldValues', () => {
  it('drops the values the API server echoes in field errors, keeping field paths and reasons', () => {
    const msg = 'Widget.example.com "w" is invalid: [metadata.labels: Invalid value: "a!": a valid label must be an empty string, spec.replicas: Invalid value: 3: must be even, spec.mode: Unsupported value: "x": supported values: "a", "b"]';
    const out = redactFieldValues(msg);
    expect(out).toContain('metadata.labels: Invalid value: [REDACTED]: a valid label');
    expect(out).toContain('spec.replicas: Invalid value: [REDACTED]: must be even');
    expect(out).toContain('spec.mode: Unsupported value: [REDACTED]: supported values');
    expect(out).not.toContain('"a!"');
    expect(out).not.toContain(': 3:');
  });
});
