import { describe, expect, it } from 'vitest';
import { formatGoFloat, leafToPlain, plainToValue, scalarLiteral } from '../../../src/formats/sops/values.js';

describe('leaf serialization (sops ToBytes)', () => {
  it('formats floats like Go strconv.FormatFloat(f, "f", -1, 64)', () => {
    expect(formatGoFloat(1234568000)).toBe('1234568000');
    expect(formatGoFloat(25.4)).toBe('25.4');
    expect(formatGoFloat(1e21)).toBe('1000000000000000000000');
    expect(formatGoFloat(1.5e-7)).toBe('0.00000015');
    expect(formatGoFloat(-2.5e-3)).toBe('-0.0025');
    expect(formatGoFloat(Infinity)).toBe('+Inf');
  });

  it('serializes each type and skips nulls', () => {
    expect(leafToPlain('x')).toEqual({ bytes: Buffer.from('x'), type: 'str' });
    expect(leafToPlain(12n)).toEqual({ bytes: Buffer.from('12'), type: 'int' });
    expect(leafToPlain(0.5)).toEqual({ bytes: Buffer.from('0.5'), type: 'float' });
    expect(leafToPlain(true)).toEqual({ bytes: Buffer.from('True'), type: 'bool' });
    expect(leafToPlain(false)?.bytes.toString()).toBe('False');
    expect(leafToPlain(null)).toBeNull();
  });

  it('reads decrypted values back with their types', () => {
    expect(plainToValue(Buffer.from('5432'), 'int')).toBe(5432);
    expect(plainToValue(Buffer.from('9007199254740993'), 'int')).toBe(9007199254740993n);
    expect(plainToValue(Buffer.from('True'), 'bool')).toBe(true);
    expect(plainToValue(Buffer.from('1234568000'), 'float')).toBe(1234568000);
    expect(scalarLiteral(Buffer.from('1234568000'), 'float', false)).toBe('1.234568e+09');
    expect(scalarLiteral(Buffer.from('1'.padEnd(301, '0')), 'float', false)).toBe('1e+300');
    expect(scalarLiteral(Buffer.from('18446744073709552000'), 'float', false)).toBe('1.8446744073709552e+19');
    expect(scalarLiteral(Buffer.from('18446744073709552000'), 'float', true)).toBe('18446744073709552000');
    expect(scalarLiteral(Buffer.from('0.00001'), 'float', false)).toBe('1e-05');
    expect(scalarLiteral(Buffer.from('2026-01-02T00:00:00Z'), 'time', false)).toBe('2026-01-02T00:00:00Z');
    expect(scalarLiteral(Buffer.from('False'), 'bool', true)).toBe('false');
  });
});
