import { describe, expect, it } from 'vitest';
import { parseManifest } from '../../../src/manifest/parse.js';
import { buildTree } from '../../../src/formats/sops/tree.js';

describe('the SOPS tree of a manifest', () => {
  it('lists leaves in document order with list items sharing their key path, and skips nulls', () => {
    const [doc] = buildTree(parseManifest('a:\n  b: 1\n  l: [x, {c: y}]\n  n: null\nd: "z"\n'));
    expect(doc?.leaves.map((l) => [l.path.join(':'), l.value])).toEqual([
      ['a:b', 1n],
      ['a:l', 'x'],
      ['a:l:c', 'y'],
      ['d', 'z'],
    ]);
    expect(doc?.leaves.find((l) => l.value === 'x')?.inFlow).toBe(true);
  });

  it('puts each comment under the map it is indented into', () => {
    const [doc] = buildTree(parseManifest('# top\na:\n  # in a\n  b: 1 # after b\n  c:\n    # in c\n    d: 2\n# back at top\ne: 3\n'));
    // '# top' stands before the document itself: for sops it is a head comment of the root map.
    expect(doc?.comments.map((c) => [c.token.source, c.path.join(':')])).toEqual([
      ['# in a', 'a'],
      ['# after b', 'a'],
      ['# in c', 'a:c'],
      ['# back at top', ''],
      ['# top', ''],
    ]);
  });

  it('finds the sops pair and the indentation unit of each document', () => {
    const trees = buildTree(parseManifest('a:\n    b: 1\nsops:\n    mac: x\n---\nc: 1\n'));
    expect(trees[0]?.sopsPair).not.toBeNull();
    expect(trees[0]?.indentUnit).toBe('    ');
    expect(trees[1]?.sopsPair).toBeNull();
  });
});
