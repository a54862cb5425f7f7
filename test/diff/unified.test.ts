// The unified diff is checked by the one judge that matters: GNU patch applies it and gets the
// new text back, for random edits (fast-check) as well as hand-picked ones.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { unifiedDiff } from '../../src/diff/unified.js';

function applyWithPatch(before: string, diff: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sealops-udiff-'));
  try {
    writeFileSync(join(dir, 'f'), before);
    writeFileSync(join(dir, 'p'), diff);
    execFileSync('patch', ['--silent', '--force', join(dir, 'f'), join(dir, 'p')], { stdio: 'pipe' });
    return readFileSync(join(dir, 'f'), 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const lines = (xs: string[]) => (xs.length ? xs.join('\n') + '\n' : '');

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', { from: 'a', to: 'b' })).toBe('');
  });

  it('shows one changed line with three lines of context and a correct hunk header', () => {
    const before = lines(['1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const after = lines(['1', '2', '3', '4', 'five', '6', '7', '8', '9']);
    expect(unifiedDiff(before, after, { from: 'a/x', to: 'b/x' })).toBe(['--- a/x', '+++ b/x', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+five', ' 6', ' 7', ' 8', ''].join('\n'));
  });

  it('keeps distant changes in separate hunks', () => {
    const before = lines(Array.from({ length: 30 }, (_, i) => String(i)));
    const after = before.replace('\n2\n', '\ntwo\n').replace('\n27\n', '\ntwenty-seven\n');
    expect(unifiedDiff(before, after, { from: 'a', to: 'b' }).match(/^@@/gm)).toHaveLength(2);
  });

  it('produces a patch that GNU patch applies to give the new text, for any edit', () => {
    const text = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'kind: Secret', '  key: <sealed>'), { maxLength: 40 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        const before = lines(a);
        const after = lines(b);
        const d = unifiedDiff(before, after, { from: 'a/f', to: 'b/f' });
        if (before === after) return d === '';
        return applyWithPatch(before, d) === after;
      }),
      { numRuns: 60 },
    );
  });
});
