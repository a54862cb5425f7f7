// Structured logs: one JSON object per line, every string redacted.
import { describe, expect, it } from 'vitest';
import { Logger } from '../../src/agent/log.js';

describe('Logger', () => {
  it('writes one JSON object per line with its bound fields', () => {
    const lines: string[] = [];
    new Logger((l) => lines.push(l), { sync: 'a/b' }).info('reconciled', { count: 3 });
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', msg: 'reconciled', sync: 'a/b', count: 3 });
  });

  it('redacts secrets in the message and in nested fields, raw and base64', () => {
    const lines: string[] = [];
    const secret = 'pa55word-0123';
    new Logger((l) => lines.push(l)).redacting([secret]).error(`bad ${secret}`, { nested: { why: Buffer.from(secret).toString('base64') } });
    expect(lines[0]).not.toContain(secret);
    expect(lines[0]).not.toContain(Buffer.from(secret).toString('base64'));
    expect(lines[0]).toContain('[REDACTED]');
  });
});
