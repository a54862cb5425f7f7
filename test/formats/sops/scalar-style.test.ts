import { Composer, CST, Parser, isScalar, type Scalar } from 'yaml';
import { describe, expect, it } from 'vitest';
import { doubleQuoted, isPlainSafe, writePlainScalar, writeSealedScalar, type ScalarToken } from '../../../src/formats/sops/scalar-style.js';

/** Parses `src`, hands the token of key `k` to `edit`, and returns the new text. */
function editValue(src: string, k: string, edit: (t: ScalarToken) => void): string {
  const tokens = [...new Parser().parse(src)];
  const [doc] = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
  const node = doc?.get(k, true) as Scalar | undefined;
  if (!node || !isScalar(node)) throw new Error('no scalar');
  edit((node as unknown as { srcToken: ScalarToken }).srcToken);
  return tokens.map((t) => CST.stringify(t)).join('');
}

const ENC = 'ENC[AES256_GCM,data:AA==,iv:x,tag:y,type:str]';

describe('writing envelopes into scalars', () => {
  it('keeps plain, single- and double-quoted styles and turns a block into a one-line strip block', () => {
    expect(editValue('a: x # c\nb: 1\n', 'a', (t) => writeSealedScalar(t, ENC, false, 0))).toBe(`a: ${ENC} # c\nb: 1\n`);
    expect(editValue("a: 'x'\n", 'a', (t) => writeSealedScalar(t, ENC, false, 0))).toBe(`a: '${ENC}'\n`);
    expect(editValue('a: "x"\n', 'a', (t) => writeSealedScalar(t, ENC, false, 0))).toBe(`a: "${ENC}"\n`);
    expect(editValue('a: |\n  l1\n  l2\n\nb: 1\n', 'a', (t) => writeSealedScalar(t, ENC, false, 0))).toBe(`a: |-\n  ${ENC}\n\nb: 1\n`);
    expect(editValue('a: >\n    l1\n    l2\n', 'a', (t) => writeSealedScalar(t, ENC, false, 0))).toBe(`a: >-\n    ${ENC}\n`);
  });

  it('double-quotes an envelope inside a flow collection, where commas would break a plain scalar', () => {
    const tokens = [...new Parser().parse('m: {a: x, b: y}\n')];
    const [doc] = [...new Composer({ keepSourceTokens: true }).compose(tokens)];
    const node = doc?.getIn(['m', 'a'], true) as { srcToken: ScalarToken };
    writeSealedScalar(node.srcToken, ENC, true, 0);
    expect(tokens.map((t) => CST.stringify(t)).join('')).toBe(`m: {a: "${ENC}", b: y}\n`);
  });
});

describe('writing plaintext back', () => {
  it('writes numbers and booleans as typed literals and strings in the token style when it can carry them', () => {
    const put = (src: string, s: string, type: 'str' | 'int' | 'float' | 'bool' = 'str'): string =>
      editValue(src, 'a', (t) => writePlainScalar(t, Buffer.from(s), type, { inFlow: false, json: false, parentIndent: 0 }));
    expect(put(`a: ${ENC}\n`, 'hello')).toBe('a: hello\n');
    expect(put(`a: ${ENC}\n`, '0123')).toBe('a: "0123"\n');
    expect(put(`a: ${ENC}\n`, 'true')).toBe('a: "true"\n');
    expect(put(`a: ${ENC}\n`, 'True', 'bool')).toBe('a: true\n');
    // As sops -d prints a float (Go's shortest %g): an exponent from 1e+06 up.
    expect(put(`a: ${ENC}\n`, '1234568000', 'float')).toBe('a: 1.234568e+09\n');
    expect(put(`a: ${ENC}\n`, '6543', 'float')).toBe('a: 6543\n');
    expect(put(`a: '${ENC}'\n`, "it's")).toBe("a: 'it''s'\n");
    expect(put(`a: |-\n  ${ENC}\n`, 'l1\nl2\n')).toBe('a: |\n  l1\n  l2\n');
    expect(put(`a: |-\n  ${ENC}\n`, 'l1\n\n')).toBe('a: "l1\\n\\n"\n');
    expect(put(`a: ${ENC}\n`, 'two\nlines')).toBe('a: "two\\nlines"\n');
  });

  it('knows which strings may be written plain', () => {
    for (const s of ['hello', 'a b', 'x:y', 'path/to-file.txt', 'ünïcode', '\u00a0', 'x\u3000', '\u2000y']) expect(isPlainSafe(s, false), s).toBe(true);
    for (const s of ['', ' x', 'x ', 'yes', 'null', '12', '1e3', '- x', '#x', 'a: b', 'a #b', '*x', 'ENC,x', 'x\u2028', '\u2029', '\ufeff', 'x\u0085']) {
      expect(isPlainSafe(s, s.includes(',')), s).toBe(false);
    }
    expect(doubleQuoted('a"\u0085')).toBe('"a\\"\\u0085"');
  });
});
