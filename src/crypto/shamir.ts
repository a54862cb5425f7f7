/**
 * Shamir secret sharing over GF(2^8), byte for byte the scheme sops uses for key groups (its
 * vendored copy of HashiCorp Vault's `shamir` package): one random polynomial per secret byte,
 * the field of AES (x^8 + x^4 + x^3 + x + 1), and each share laid out as `y1 … yN x`, the
 * x-coordinate in the last byte. sops numbers the shares 1…N in key-group order.
 */
import { randomBytes } from 'node:crypto';
import { InputError } from '../errors.js';

/** Multiplication in GF(2^8) without tables or branches on secret data. */
function mult(a: number, b: number): number {
  let r = 0;
  for (let i = 7; i >= 0; i--) {
    // -(bit) is 0 or all ones: select without branching, as Vault does.
    r = ((-((b >> i) & 1) & a) ^ (-(r >> 7) & 0x1b) ^ (r << 1)) & 0xff;
  }
  return r;
}

/** a^254, the multiplicative inverse of a non-zero a. */
function inverse(a: number): number {
  let b = mult(a, a);
  let c = mult(a, b);
  b = mult(c, c);
  b = mult(b, b);
  c = mult(b, c);
  b = mult(b, b);
  b = mult(b, b);
  b = mult(b, c);
  b = mult(b, b);
  b = mult(a, b);
  return mult(b, b);
}

function div(a: number, b: number): number {
  if (b === 0) throw new InputError('failed to combine shamir shares: division by zero');
  return mult(a, inverse(b));
}

/** Evaluates the polynomial with `coefficients` (constant first) at `x` (Horner's rule). */
function evaluate(coefficients: Uint8Array, x: number): number {
  if (x === 0) return coefficients[0] ?? 0;
  let out = coefficients[coefficients.length - 1] ?? 0;
  for (let i = coefficients.length - 2; i >= 0; i--) out = mult(out, x) ^ (coefficients[i] ?? 0);
  return out;
}

/**
 * Splits `secret` into `parts` shares of which any `threshold` recover it. Share i (0-based)
 * has x-coordinate i+1, as sops assigns them to key groups in order.
 */
export function shamirSplit(secret: Uint8Array, parts: number, threshold: number): Uint8Array[] {
  if (!Number.isInteger(parts) || !Number.isInteger(threshold)) throw new InputError('failed to split the data key: parts and threshold must be integers');
  if (parts < threshold) throw new InputError(`failed to split the data key: ${parts} key groups cannot meet a threshold of ${threshold}`);
  if (parts > 255) throw new InputError('failed to split the data key: at most 255 key groups');
  if (threshold < 2) throw new InputError('failed to split the data key: the threshold must be at least 2');
  if (secret.length === 0) throw new InputError('failed to split the data key: it is empty');
  const out = Array.from({ length: parts }, (_, i) => {
    const share = new Uint8Array(secret.length + 1);
    share[secret.length] = i + 1;
    return share;
  });
  for (const [idx, value] of secret.entries()) {
    const coefficients = new Uint8Array(randomBytes(threshold));
    coefficients[0] = value;
    for (const [i, share] of out.entries()) share[idx] = evaluate(coefficients, i + 1);
  }
  return out;
}

/**
 * Recovers the secret from shares (at least two, of equal length, distinct x-coordinates) by
 * Lagrange interpolation at 0. With fewer shares than the threshold the result is a different,
 * random-looking value: callers check it (sops does so through the MAC).
 */
export function shamirCombine(shares: readonly Uint8Array[]): Uint8Array {
  if (shares.length < 2) throw new InputError('failed to combine shamir shares: at least two are needed');
  const len = shares[0]?.length ?? 0;
  if (len < 2) throw new InputError('failed to combine shamir shares: a share is too short');
  if (shares.some((s) => s.length !== len)) throw new InputError('failed to combine shamir shares: they differ in length');
  const xs = shares.map((s) => s[len - 1] ?? 0);
  if (new Set(xs).size !== xs.length) throw new InputError('failed to combine shamir shares: two shares have the same x-coordinate');
  const secret = new Uint8Array(len - 1);
  for (let idx = 0; idx < len - 1; idx++) {
    let result = 0;
    for (let i = 0; i < xs.length; i++) {
      let basis = 1;
      for (let j = 0; j < xs.length; j++) {
        if (i === j) continue;
        basis = mult(basis, div(xs[j] ?? 0, (xs[i] ?? 0) ^ (xs[j] ?? 0)));
      }
      result ^= mult(shares[i]?.[idx] ?? 0, basis);
    }
    secret[idx] = result;
  }
  return secret;
}
