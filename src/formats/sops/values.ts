/**
 * How a leaf value becomes the bytes that are encrypted and hashed, and back — the same
 * serialization as sops's `ToBytes`, so MACs agree: strings as UTF-8, ints in decimal, floats
 * in Go's shortest non-exponent form, booleans as `True`/`False`.
 */
import type { SopsValueType } from '../../crypto/index.js';

/** A leaf as sealed: its bytes and the type recorded in the envelope. */
export interface PlainLeaf {
  bytes: Buffer;
  type: SopsValueType;
}

/** Go's `strconv.FormatFloat(f, 'f', -1, 64)`: shortest round-trip digits, never an exponent. */
export function formatGoFloat(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  const s = String(f);
  if (!/e/i.test(s)) return s;
  const [mant = '', expPart = '0'] = s.split(/e/i);
  const exp = Number(expPart);
  const neg = mant.startsWith('-');
  const digits = mant.replace('-', '').replace('.', '');
  const pointAt = (mant.replace('-', '').indexOf('.') === -1 ? mant.replace('-', '').length : mant.replace('-', '').indexOf('.')) + exp;
  let out: string;
  if (pointAt <= 0) out = `0.${'0'.repeat(-pointAt)}${digits}`;
  else if (pointAt >= digits.length) out = digits + '0'.repeat(pointAt - digits.length);
  else out = `${digits.slice(0, pointAt)}.${digits.slice(pointAt)}`;
  return (neg ? '-' : '') + out;
}

/**
 * The plaintext of a leaf value, or null for a value sops skips (null). Throws TypeError for
 * values no manifest store produces.
 */
export function leafToPlain(value: unknown): PlainLeaf | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return { bytes: Buffer.from(value, 'utf8'), type: 'str' };
  if (typeof value === 'bigint') return { bytes: Buffer.from(value.toString(), 'utf8'), type: 'int' };
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER && !Object.is(value, -0)) {
      // JSON and YAML give no way to tell `1` from `1.0` once parsed; a whole number is an int.
      return { bytes: Buffer.from(String(value), 'utf8'), type: 'int' };
    }
    return { bytes: Buffer.from(formatGoFloat(value), 'utf8'), type: 'float' };
  }
  if (typeof value === 'boolean') return { bytes: Buffer.from(value ? 'True' : 'False', 'utf8'), type: 'bool' };
  if (value instanceof Date) return { bytes: Buffer.from(value.toISOString(), 'utf8'), type: 'time' };
  if (value instanceof Uint8Array) return { bytes: Buffer.from(value), type: 'bytes' };
  throw new TypeError(`unsupported leaf type ${typeof value}`);
}

/** The JavaScript value of a decrypted leaf, as a YAML/JSON reader would have produced it. */
export function plainToValue(bytes: Buffer, type: SopsValueType): unknown {
  const s = bytes.toString('utf8');
  switch (type) {
    case 'int': {
      const n = Number(s);
      return Number.isSafeInteger(n) ? n : BigInt(s);
    }
    case 'float':
      return s === 'NaN' ? NaN : s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
    case 'bool':
      return /^(1|t|T|TRUE|true|True)$/.test(s);
    case 'bytes':
      return Buffer.from(bytes);
    default:
      return s;
  }
}

/** Plain YAML/JSON text of a non-string leaf (`int`, `float`, `bool`), so it reads back with its type. */
export function scalarLiteral(bytes: Buffer, type: SopsValueType, json: boolean): string | null {
  const s = bytes.toString('utf8');
  switch (type) {
    case 'int':
      return /^[-+]?\d+$/.test(s) ? s : null;
    case 'float':
      if (s === 'NaN') return json ? null : '.nan';
      if (s === '+Inf') return json ? null : '.inf';
      if (s === '-Inf') return json ? null : '-.inf';
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return null;
      // A float written without a point would read back as an int; keep its type.
      return /[.eE]/.test(s) || json ? s : `${s}.0`;
    case 'bool':
      return /^(1|t|T|TRUE|true|True)$/.test(s) ? 'true' : 'false';
    default:
      return null;
  }
}
