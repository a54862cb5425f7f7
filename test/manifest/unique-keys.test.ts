import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { duplicateKeyOffset, LINEAR_COMPOSE_OPTIONS } from '../../src/manifest/unique-keys.js';
import { lineOf } from '../../src/manifest/parse.js';

const firstDoc = (text: string) => parseAllDocuments(text, LINEAR_COMPOSE_OPTIONS)[0]!;

describe('finding duplicate keys in linear time', () => {
  it('points at the second of two equal keys, however deep the map sits', () => {
    const text = 'a:\n  - b:\n      c: 1\n      c: 2\n';
    expect(duplicateKeyOffset(firstDoc(text))).toBe(text.lastIndexOf('c:'));
  });

  it('treats the same key in two different maps as no duplicate', () => {
    expect(duplicateKeyOffset(firstDoc('a: {x: 1}\nb: {x: 2}\nx: 3\n'))).toBeUndefined();
  });

  it('compares integer keys by value, as the yaml library does', () => {
    const text = '1: a\n0x1: b\n';
    expect(duplicateKeyOffset(parseAllDocuments(text, { ...LINEAR_COMPOSE_OPTIONS, intAsBigInt: true })[0]!)).toBe(text.indexOf('0x1'));
  });
});

describe('line numbers of offsets', () => {
  it('counts the line an offset falls on, including offsets on a newline and past the end', () => {
    const text = 'a\nbb\n\nccc';
    expect([0, 1, 2, 4, 5, 6, 9, 99].map((o) => lineOf(text, o))).toEqual([1, 1, 2, 2, 3, 4, 4, 4]);
    // A second text is indexed on its own, not with the first one's lines.
    expect(lineOf('x\ny', 2)).toBe(2);
    expect(lineOf(text, 6)).toBe(4);
  });
});
