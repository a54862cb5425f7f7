/**
 * Duplicate map keys, found in linear time. The yaml library's own `uniqueKeys` check compares
 * each new key with every earlier key of its map, so one map of 20,000 keys costs 200 million
 * comparisons (minutes) and a crafted file stalls every reader. Parsers therefore compose with
 * `uniqueKeys: false` ({@link LINEAR_COMPOSE_OPTIONS}) and call {@link duplicateKeyOffset}.
 */
import { isMap, isPair, isScalar, isSeq, parseAllDocuments, YAMLParseError, type Document, type DocumentOptions, type ParseOptions, type SchemaOptions } from 'yaml';

/** Composer options every reader uses: the quadratic built-in duplicate check is off. */
export const LINEAR_COMPOSE_OPTIONS = { uniqueKeys: false } as const;

/**
 * Source offset of the first key that repeats an earlier scalar key of the same map, or
 * undefined. Keys compare the way yaml's default check does: scalars by value. Walks with an
 * explicit stack, so any depth the caller admitted is safe.
 */
export function duplicateKeyOffset(doc: Document): number | undefined {
  const stack: unknown[] = [doc.contents];
  while (stack.length > 0) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<unknown>();
      for (const pair of node.items) {
        if (isScalar(pair.key)) {
          if (seen.has(pair.key.value)) return pair.key.range?.[0] ?? 0;
          seen.add(pair.key.value);
        } else if (pair.key) stack.push(pair.key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      for (const item of node.items) stack.push(isPair(item) ? item.value : item);
    }
  }
  return undefined;
}


/**
 * `parseAllDocuments` for text from a repository: the same documents and errors (a repeated key
 * is a `DUPLICATE_KEY` error of its document), found in linear time, and no warning printed.
 */
export function parseDocumentsLinear(text: string, options: ParseOptions & DocumentOptions & SchemaOptions = {}): Document.Parsed[] {
  const docs = [...parseAllDocuments(text, { logLevel: 'error', ...options, ...LINEAR_COMPOSE_OPTIONS })];
  for (const doc of docs) {
    const dup = duplicateKeyOffset(doc);
    if (dup !== undefined) doc.errors.push(new YAMLParseError([dup, dup + 1], 'DUPLICATE_KEY', 'Map keys must be unique'));
  }
  return docs;
}
