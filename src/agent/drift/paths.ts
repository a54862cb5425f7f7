/**
 * Field paths of drift: where a live object differs from what the agent would make of it,
 * as JSON pointers (RFC 6901), and `spec.drift.ignore` applied to them. Pure functions, no I/O.
 *
 * Only paths are produced, never values: for a Secret every difference under `data` or
 * `stringData` is reported as `/data/<key>`, so a drift report names keys and nothing else.
 */
import type { DriftIgnoreRule } from '../sync.js';
import { asRecord as rec } from '../../util/record.js';

type Rec = Record<string, unknown>;

/** Escapes one reference token (`~` → `~0`, `/` → `~1`). */
export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** Splits a pointer into unescaped tokens (`''` is the whole document). */
export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value at `pointer`, or undefined. */
export function valueAt(doc: unknown, pointer: string): unknown {
  let cur = doc;
  for (const t of pointerTokens(pointer)) {
    if (Array.isArray(cur)) cur = /^\d+$/.test(t) ? cur[Number(t)] : undefined;
    else cur = rec(cur)?.[t];
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** A copy of `doc` with `value` at `pointer` (parents must exist; otherwise `doc` unchanged). */
export function withValueAt<T>(doc: T, pointer: string, value: unknown): T {
  const tokens = pointerTokens(pointer);
  if (tokens.length === 0) return value as T;
  const copy = structuredClone(doc);
  let cur: unknown = copy;
  for (const t of tokens.slice(0, -1)) {
    cur = Array.isArray(cur) ? cur[Number(t)] : rec(cur)?.[t];
    if (cur === undefined || cur === null || typeof cur !== 'object') return doc;
  }
  const last = tokens[tokens.length - 1]!;
  if (Array.isArray(cur)) cur[Number(last)] = value;
  else (cur as Rec)[last] = value;
  return copy;
}

/** Server-maintained bookkeeping that differs between any two reads and says nothing about drift. */
const NOISE = new Set(['/metadata/resourceVersion', '/metadata/generation', '/metadata/managedFields', '/metadata/creationTimestamp', '/metadata/uid', '/status']);

function walk(a: unknown, b: unknown, path: string, out: string[]): void {
  if (NOISE.has(path)) return;
  const ra = rec(a);
  const rb = rec(b);
  if (ra && rb) {
    for (const k of [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort()) walk(ra[k], rb[k], `${path}/${escapeToken(k)}`, out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
    a.forEach((x, i) => walk(x, b[i], `${path}/${i}`, out));
    return;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
}

/**
 * The JSON pointers at which `live` differs from `desired` (the agent's dry-run result), sorted.
 * A list that changed length is reported as the list itself. For a Secret, differences under
 * `data`/`stringData` become `/data/<key>` (one per key, whatever lies below).
 */
export function changedPaths(desired: unknown, live: unknown, kind: string): string[] {
  const out: string[] = [];
  walk(desired, live, '', out);
  if (kind !== 'Secret') return out;
  const keys = new Set<string>();
  for (const p of out) {
    const [field, key] = pointerTokens(p);
    if (field === 'data' || field === 'stringData') {
      // A whole data map that appeared or vanished: list its keys, never its content.
      if (key === undefined) for (const k of Object.keys({ ...rec(rec(desired)?.[field]), ...rec(rec(live)?.[field]) })) keys.add(`/data/${escapeToken(k)}`);
      else keys.add(`/data/${escapeToken(key)}`);
    } else keys.add(p);
  }
  return [...keys].sort();
}

/** Which object a rule is matched against. */
export interface DriftTarget {
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
}

/** The ignored pointers that apply to `target` (a rule's unset kind, name or namespace matches any). */
export function ignoredPointers(rules: readonly DriftIgnoreRule[], target: DriftTarget): string[] {
  const out: string[] = [];
  for (const r of rules) {
    const t = r.target;
    if (t.kind !== undefined && t.kind !== target.kind) continue;
    if (t.name !== undefined && t.name !== target.name) continue;
    if (t.namespace !== undefined && t.namespace !== (target.namespace ?? '')) continue;
    out.push(...r.paths);
  }
  return out;
}

/** `paths` without those at or below an ignored pointer (`''` ignores the whole object). */
export function withoutIgnored(paths: readonly string[], ignored: readonly string[]): string[] {
  return paths.filter((p) => !ignored.some((i) => i === '' || p === i || p.startsWith(`${i}/`)));
}
