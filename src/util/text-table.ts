/**
 * Plain-text output shared by the CLI's reports (`status`, `history`, `keys list`) and the
 * status page: columns padded as kubectl pads them, and ages as kubectl shows them.
 */

/** Left-aligned columns separated by `gap` spaces (kubectl: 3), each line ending in a newline. */
export function table(header: readonly string[], rows: readonly (readonly string[])[], gap = 3): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const sep = ' '.repeat(gap);
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join(sep).trimEnd();
  return [line(header), ...rows.map(line)].map((l) => `${l}\n`).join('');
}

/** `5s`, `3m`, `2h`, `4d` from `time` (RFC 3339) to `now`, as kubectl's AGE column; undefined for no time. */
export function shortAge(time: string | undefined, now: Date): string | undefined {
  const t = time ? Date.parse(time) : NaN;
  if (!Number.isFinite(t)) return undefined;
  const s = Math.max(0, Math.floor((now.getTime() - t) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}
