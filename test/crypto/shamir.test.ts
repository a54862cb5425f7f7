import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shamirCombine, shamirSplit } from '../../src/crypto/index.js';

describe('shamir', () => {
  it('recovers the secret from any threshold-sized subset of shares', () => {
    const secret = new Uint8Array(randomBytes(32));
    const shares = shamirSplit(secret, 5, 3);
    for (const pick of [[0, 1, 2], [4, 2, 0], [1, 3, 4], [0, 1, 2, 3, 4]]) {
      expect(Buffer.from(shamirCombine(pick.map((i) => shares[i] as Uint8Array)))).toEqual(Buffer.from(secret));
    }
  });

  it('lays each share out as sops does: the y bytes, then the x-coordinate 1…N', () => {
    const shares = shamirSplit(new Uint8Array(32), 3, 2);
    expect(shares.map((s) => s.length)).toEqual([33, 33, 33]);
    expect(shares.map((s) => s[32])).toEqual([1, 2, 3]);
  });

  it('gives a different value from fewer shares than the threshold', () => {
    const secret = new Uint8Array(randomBytes(32));
    const shares = shamirSplit(secret, 3, 3);
    expect(Buffer.from(shamirCombine([shares[0] as Uint8Array, shares[1] as Uint8Array]))).not.toEqual(Buffer.from(secret));
  });

  it('refuses a threshold below 2, more groups than 255 and duplicated shares', () => {
    expect(() => shamirSplit(new Uint8Array(32), 2, 1)).toThrow(/at least 2/);
    expect(() => shamirSplit(new Uint8Array(32), 256, 2)).toThrow(/255/);
    expect(() => shamirSplit(new Uint8Array(32), 2, 3)).toThrow(/threshold/);
    const [a] = shamirSplit(new Uint8Array(32), 2, 2);
    expect(() => shamirCombine([a as Uint8Array, a as Uint8Array])).toThrow(/same x-coordinate/);
  });
});
