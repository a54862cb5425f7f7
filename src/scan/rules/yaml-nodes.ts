/**
 * Small helpers over `yaml` nodes: the guard reads the node tree (not plain JS) so every
 * finding keeps the position of the value it is about.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type Node, type Pair, type YAMLMap, type YAMLSeq } from 'yaml';

/** A node with aliases resolved (one level of `*ref`). */
export function deref(node: unknown, doc: Document.Parsed): unknown {
  return isAlias(node) ? node.resolve(doc) : node;
}

/** The pair of `map` whose key is the string `key`. */
export function pairOf(map: YAMLMap, key: string): Pair | undefined {
  for (const p of map.items) if (isScalar(p.key) && p.key.value === key) return p;
  return undefined;
}

/** The value node of `key` in `map`, aliases resolved. */
export function valueOf(map: YAMLMap, key: string, doc: Document.Parsed): unknown {
  const p = pairOf(map, key);
  return p === undefined ? undefined : deref(p.value, doc);
}

/** `key`'s value when it is a map. */
export function mapOf(map: YAMLMap, key: string, doc: Document.Parsed): YAMLMap | undefined {
  const v = valueOf(map, key, doc);
  return isMap(v) ? v : undefined;
}

/** `key`'s value when it is a sequence. */
export function seqOf(map: YAMLMap, key: string, doc: Document.Parsed): YAMLSeq | undefined {
  const v = valueOf(map, key, doc);
  return isSeq(v) ? v : undefined;
}

/** `key`'s value when it is a scalar string. */
export function stringOf(map: YAMLMap, key: string, doc: Document.Parsed): string | undefined {
  const v = valueOf(map, key, doc);
  return isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
}

/** Text of a scalar of any type (`123` and `true` are values too); undefined for null or non-scalars. */
export function scalarText(node: unknown): string | undefined {
  if (!isScalar(node) || node.value === null || node.value === undefined) return undefined;
  const v = node.value;
  // A `!!binary` scalar: kubectl's go-yaml applies its decoded bytes, so judge those.
  if (v instanceof Uint8Array) return Buffer.from(v).toString('latin1');
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : undefined;
}

/** Offset span of a node, or of the pair's key when the value has no position. */
export function spanOf(pair: Pair, value: unknown): readonly [number, number] {
  const n = (value ?? pair.key) as Node | undefined;
  const r = n?.range;
  if (r) return [r[0], r[1]];
  const k = (pair.key as Node | undefined)?.range;
  return k ? [k[0], k[1]] : [0, 0];
}

/** The string key of a pair, or '' when the key is not a scalar. */
export function keyText(pair: Pair): string {
  return isScalar(pair.key) ? String(pair.key.value) : '';
}
