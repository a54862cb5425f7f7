/**
 * A line-based unified diff (the format of `diff -u` and `git diff`), for the visible fields of
 * one object. The common head and tail are trimmed first; the middle is aligned by a longest
 * common subsequence. Objects are small, and a middle too large to align cheaply is shown as a
 * whole replacement rather than costing quadratic time.
 */

/** Largest middle (old lines × new lines) aligned line by line. */
const MAX_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string };

function align(a: readonly string[], b: readonly string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const am = a.slice(head, a.length - tail);
  const bm = b.slice(head, b.length - tail);
  const ops: Op[] = a.slice(0, head).map((line) => ({ kind: ' ', line }));
  if (am.length * bm.length > MAX_CELLS) {
    ops.push(...am.map((line) => ({ kind: '-' as const, line })), ...bm.map((line) => ({ kind: '+' as const, line })));
  } else {
    // lcs[i][j]: length of the LCS of am[i..] and bm[j..], one row per line of am.
    const w = bm.length + 1;
    const lcs = new Uint32Array((am.length + 1) * w);
    for (let i = am.length - 1; i >= 0; i--) {
      for (let j = bm.length - 1; j >= 0; j--) {
        lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < am.length || j < bm.length) {
      if (i < am.length && j < bm.length && am[i] === bm[j]) {
        ops.push({ kind: ' ', line: am[i++]! });
        j++;
      } else if (i < am.length && (j === bm.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) ops.push({ kind: '-', line: am[i++]! });
      else ops.push({ kind: '+', line: bm[j++]! });
    }
  }
  ops.push(...a.slice(a.length - tail).map((line) => ({ kind: ' ' as const, line })));
  return ops;
}

function lines(text: string): string[] {
  if (text === '') return [];
  const out = text.split('\n');
  if (out.at(-1) === '') out.pop();
  return out;
}

/**
 * The unified diff of `before` and `after` under the given file labels, with `context` lines
 * around each change; `''` when they are equal.
 */
export function unifiedDiff(before: string, after: string, labels: { from: string; to: string }, context = 3): string {
  if (before === after) return '';
  const ops = align(lines(before), lines(after));
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  let k = 0;
  while (k < ops.length) {
    if (ops[k]!.kind === ' ') {
      k++;
      continue;
    }
    // A hunk: from `context` lines before this change to `context` lines after the last change
    // that is within 2×context of the previous one.
    const start = Math.max(0, k - context);
    let end = k;
    for (let m = k; m < ops.length; m++) if (ops[m]!.kind !== ' ') end = m;
    else if (m - end > 2 * context) break;
    const stop = Math.min(ops.length, end + context + 1);
    let oldLine = 1;
    let newLine = 1;
    for (let m = 0; m < start; m++) {
      if (ops[m]!.kind !== '+') oldLine++;
      if (ops[m]!.kind !== '-') newLine++;
    }
    const hunk = ops.slice(start, stop);
    const oldCount = hunk.filter((o) => o.kind !== '+').length;
    const newCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${oldCount ? oldLine : oldLine - 1},${oldCount} +${newCount ? newLine : newLine - 1},${newCount} @@`);
    for (const o of hunk) out.push(o.kind + o.line);
    k = stop;
  }
  return out.join('\n') + '\n';
}
