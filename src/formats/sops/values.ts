/**
 * How a leaf value becomes the bytes that are encrypted and hashed, and back — the same
 * serialization as sops's `ToBytes`, so MACs agree: strings as UTF-8, ints in decimal, floats
 * in Go's shortest non-exponent form, booleans as `True`/`False`.
 */
import type { SopsValueType } from '../../crypto/index.js';
import { InputError } from '../../errors.js';

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
 * Go's `strconv.FormatFloat(f, 'g', -1, 64)`, which yaml.v3 (and so `sops -d`) uses to print
 * floats: shortest digits, an exponent when it is below -4 or at least 6 (`1e+300`,
 * `1.8446744073709552e+19`), and `.inf`/`.nan` spelled the YAML way.
 */
export function formatGoFloatYaml(f: number): string {
  if (Number.isNaN(f)) return '.nan';
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const [mant = '', expPart = '0'] = f.toExponential().split('e');
  const exp = Number(expPart);
  if (exp < -4 || exp >= 6) return `${mant}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return formatGoFloat(f);
}

const TIMESTAMP =
  /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d{1,9}))?))?$/;

/**
 * The text Go's `time.Time.MarshalText` gives for a plain YAML scalar that yaml.v3 reads as a
 * timestamp (its four layouts: RFC 3339 with short fields and `T` or `t`, space-separated
 * without zone, date only), or undefined when it is not one. sops seals such values as
 * `type:time` with this text.
 */
export function goTimestamp(s: string): string | undefined {
  const m = TIMESTAMP.exec(s);
  if (!m) return undefined;
  const [, y, mo, d] = m;
  const hh = m[4] ?? m[9] ?? '0';
  const mi = m[5] ?? m[10] ?? '0';
  const ss = m[6] ?? m[11] ?? '0';
  const frac = (m[7] ?? m[12] ?? '').replace(/0+$/, '');
  const zone = m[8] === undefined || m[8] === '+00:00' || m[8] === '-00:00' ? 'Z' : m[8];
  const [Y, M, D, H, Mi, S] = [y, mo, d, hh, mi, ss].map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(Y, M - 1, D));
  // Go refuses a day the month does not have, and hours, minutes and seconds out of range.
  if (date.getUTCMonth() !== M - 1 || date.getUTCDate() !== D || H > 23 || Mi > 59 || S > 59) return undefined;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  return `${y}-${p2(M)}-${p2(D)}T${p2(H)}:${p2(Mi)}:${p2(S)}${frac ? `.${frac}` : ''}${zone}`;
}

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;
const UINT64_MAX = 18446744073709551615n;

/**
 * The plaintext of a plain (unquoted) scalar typed the way sops's stores type it from its
 * source text: yaml.v3 for YAML (timestamps are `time`, integers beyond int64 are floats),
 * encoding/json for JSON (any number outside int64 or with a point is a float). Undefined for a
 * scalar that is not a number or timestamp. Throws InputError for an integer sops cannot seal.
 */
export function plainSourceLeaf(source: string, json: boolean, where: string): PlainLeaf | undefined {
  if (!json) {
    const t = goTimestamp(source);
    if (t) return { bytes: Buffer.from(t, 'utf8'), type: 'time' };
  }
  if (/^[-+]?\d+$/.test(source)) {
    const n = BigInt(source);
    if (n >= INT64_MIN && n <= INT64_MAX) return { bytes: Buffer.from(n.toString(), 'utf8'), type: 'int' };
    if (!json && n > 0n && n <= UINT64_MAX) {
      // yaml.v3 reads these as uint64, a type sops's tree does not have: `sops -e` fails on them.
      throw new InputError(`failed to seal ${where}: the integer ${source.length > 24 ? 'there' : source} is beyond int64, which sops cannot encrypt`, {
        hint: 'quote it to keep it as text',
      });
    }
    return { bytes: Buffer.from(formatGoFloat(Number(source)), 'utf8'), type: 'float' };
  }
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(source)) return { bytes: Buffer.from(formatGoFloat(Number(source)), 'utf8'), type: 'float' };
  return undefined;
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
    case 'float': {
      if (s === 'NaN' || s === '+Inf' || s === '-Inf') return json ? null : formatGoFloatYaml(plainToValue(bytes, type) as number);
      if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return null;
      // What `sops -d` prints: yaml.v3 and encoding/json formatting of the float64 (a whole
      // float prints without a point, as sops prints it; encoding/json matches JavaScript).
      const f = Number(s);
      return json ? String(f) : formatGoFloatYaml(f);
    }
    case 'time':
      // A time prints unquoted in YAML, as sops prints it; JSON has no time type.
      return !json && goTimestamp(s) === s ? s : null;
    case 'bool':
      return /^(1|t|T|TRUE|true|True)$/.test(s) ? 'true' : 'false';
    default:
      return null;
  }
}
