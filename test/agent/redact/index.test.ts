// The agent's redaction: every decrypted value, whatever its field or length, stays out of text.
import { describe, expect, it } from 'vitest';
import { redactFieldValues, redactText } from '../../../src/agent/redact/index.js';

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
