/**
 * The SOPS tree of a parsed YAML/JSON manifest: every leaf with its path and CST token, every
 * comment with the path of the map it belongs to, and the `sops` pair of each document. Leaves
 * come in document order, which is the order the MAC hashes them in.
 */
import { CST, isMap, isScalar, isSeq, type Document, type Node, type Pair, type Scalar, type YAMLMap } from 'yaml';
import { InputError } from '../../errors.js';
import { lineIndex, type ParsedManifest } from '../../manifest/index.js';
import type { ScalarToken } from './scalar-style.js';

/** One leaf value. */
export interface TreeLeaf {
  path: string[];
  /** Parsed value: string, bigint, number or boolean (nulls are not leaves). */
  value: unknown;
  token: ScalarToken;
  inFlow: boolean;
  /** Indentation of the collection holding the leaf, for block scalars written from scratch. */
  parentIndent: number;
  line: number;
  /** The block-sequence item holding the leaf, when it is a list item (sops writes comments in lists as such items). */
  seqItem?: CST.BlockSequence['items'][number];
}

/** One comment token and the path of the map or list it sits in. */
export interface TreeComment {
  token: CST.SourceToken;
  path: string[];
  /** True for a comment between the items of a block sequence (sops seals it as a `- ENC[…]` item). */
  inSeq: boolean;
}

/** The tree of one document. */
export interface TreeDocument {
  index: number;
  /** The root map, or null for an empty document. */
  root: YAMLMap | null;
  rootToken: CST.BlockMap | CST.FlowCollection | null;
  /** The top-level `sops` pair, when the document carries metadata. */
  sopsPair: Pair | null;
  leaves: TreeLeaf[];
  comments: TreeComment[];
  /** Every map path in the document, as fallbacks for comments sops placed differently. */
  mapPaths: string[][];
  /** The indentation unit the document uses (for the appended metadata). */
  indentUnit: string;
}

function keyString(key: unknown, where: string): string {
  if (isScalar(key) && typeof key.value === 'string') return key.value;
  throw new InputError(`failed to read ${where}: only string keys are supported (sops refuses others too)`, {
    hint: 'quote the key, e.g. "1": value',
  });
}

function tokenIndent(node: Node | null | undefined): number {
  const t = (node as { srcToken?: { indent?: number } } | null | undefined)?.srcToken;
  return typeof t?.indent === 'number' ? t.indent : 0;
}

/** Builds the tree of every document of `parsed`. */
export function buildTree(parsed: ParsedManifest): TreeDocument[] {
  const lineOf = lineIndex(parsed.text);
  const tree = parsed.docs.map((doc, index) => buildDocument(parsed, doc, index, lineOf));
  // Comments outside any document (before the first, between or after documents) are the head
  // or foot comments of a document's root map for sops: they belong to the next document, or
  // to the last one.
  let d = 0;
  const loose: [number, CST.SourceToken][] = [];
  for (const t of parsed.tokens) {
    if (t.type === 'document') d++;
    else if (t.type === 'comment') loose.push([Math.min(d, tree.length - 1), t]);
  }
  for (const [i, token] of loose) tree[i]?.comments.push({ token, path: [], inSeq: false });
  return tree;
}

function buildDocument(parsed: ParsedManifest, doc: Document.Parsed, index: number, lineOf: (offset: number) => number): TreeDocument {
  const { source } = parsed;
  const contents = doc.contents;
  const out: TreeDocument = { index, root: null, rootToken: null, sopsPair: null, leaves: [], comments: [], mapPaths: [], indentUnit: '' };
  if (contents === null || (isScalar(contents) && contents.value === null)) return out;
  if (!isMap(contents)) {
    throw new InputError(`failed to read ${source}: document ${index + 1} is not a map`, { hint: 'sops files hold one map per document' });
  }
  out.root = contents;
  const rt = (contents as { srcToken?: CST.Token }).srcToken;
  if (rt && (rt.type === 'block-map' || rt.type === 'flow-collection')) out.rootToken = rt;
  let minNested = Infinity;
  const walk = (node: Node | null, path: string[], inFlow: boolean, parentIndent: number): void => {
    if (node === null) return;
    if (isMap(node)) {
      out.mapPaths.push(path);
      const flow = inFlow || (node as { srcToken?: CST.Token }).srcToken?.type === 'flow-collection';
      const ind = tokenIndent(node);
      if (!flow && path.length > 0 && ind > 0) minNested = Math.min(minNested, ind);
      for (const pair of node.items) {
        const k = keyString(pair.key, `${source} line ${lineOf((pair.key as Scalar | null)?.range?.[0] ?? 0)}`);
        if (path.length === 0 && k === 'sops') {
          out.sopsPair = pair;
          continue;
        }
        walk(pair.value as Node | null, [...path, k], flow, ind);
      }
    } else if (isSeq(node)) {
      const flow = inFlow || (node as { srcToken?: CST.Token }).srcToken?.type === 'flow-collection';
      const seqTok = (node as { srcToken?: CST.Token }).srcToken;
      const cstItems = seqTok?.type === 'block-seq' ? seqTok.items : [];
      for (const item of node.items) {
        const before = out.leaves.length;
        walk(item as Node | null, path, flow, tokenIndent(node));
        const leaf = out.leaves[before];
        if (out.leaves.length === before + 1 && leaf && isScalar(item)) leaf.seqItem = cstItems.find((it) => it.value === leaf.token);
      }
    } else if (isScalar(node)) {
      if (node.value === null || node.value === undefined) return;
      const token = (node as { srcToken?: CST.Token }).srcToken;
      const at = lineOf(node.range?.[0] ?? 0);
      if (!token || !['scalar', 'single-quoted-scalar', 'double-quoted-scalar', 'block-scalar'].includes(token.type)) {
        throw new InputError(`failed to read ${source}: unsupported value at line ${at}`);
      }
      if (node.tag !== undefined && node.tag !== 'tag:yaml.org,2002:str') {
        throw new InputError(`failed to read ${source}: explicit YAML tags are not supported (line ${at})`, {
          hint: 'remove the tag; quote the value if it must stay a string',
        });
      }
      out.leaves.push({ path, value: node.value, token: token as ScalarToken, inFlow, parentIndent, line: at });
    } else {
      throw new InputError(`failed to read ${source}: unsupported node at line ${lineOf(node.range?.[0] ?? 0)}`);
    }
  };
  walk(contents, [], false, 0);
  out.indentUnit = ' '.repeat(Number.isFinite(minNested) ? Math.min(minNested, 8) : 2);
  const docToken = parsed.docTokens[index];
  if (docToken) collectComments(docToken, out.comments);
  return out;
}

interface Frame {
  indent: number;
  path: string[];
}

function pathFor(stack: Frame[], indent: number): string[] {
  for (let i = stack.length - 1; i >= 0; i--) {
    const f = stack[i];
    if (f && f.indent <= indent) return f.path;
  }
  return stack[0]?.path ?? [];
}

function collectComments(doc: CST.Document, out: TreeComment[]): void {
  const take = (tokens: readonly CST.Token[] | undefined, stack: Frame[], seqIndent = -2): void => {
    for (const t of tokens ?? []) if (t.type === 'comment') out.push({ token: t, path: pathFor(stack, t.indent), inSeq: t.indent === seqIndent });
  };
  const visitValue = (tok: CST.Token | undefined, path: string[], stack: Frame[]): void => {
    if (!tok) return;
    if (tok.type === 'block-map' || tok.type === 'block-seq' || tok.type === 'flow-collection') {
      const isMapTok = tok.type === 'block-map' || (tok.type === 'flow-collection' && tok.start.source === '{');
      const frames = [...stack, { indent: tok.type === 'flow-collection' ? -1 : tok.indent, path }];
      for (const item of tok.items) {
        take(item.start, frames, tok.type === 'block-seq' && item.value ? tok.indent : -2);
        let childPath = path;
        if (isMapTok && item.key && 'type' in item.key) {
          const k = CST.isScalar(item.key) ? CST.resolveAsScalar(item.key).value : '';
          childPath = [...path, k];
        }
        const sep = 'sep' in item ? item.sep : undefined;
        if (sep) {
          const v = item.value;
          const nested = v && (v.type === 'block-map' || v.type === 'block-seq') ? v.indent : Infinity;
          take(sep, [...frames, { indent: nested, path: childPath }]);
        }
        visitValue(item.value, childPath, frames);
      }
      if (tok.type === 'flow-collection') take(tok.end, frames);
      return;
    }
    if (tok.type === 'block-scalar') take(tok.props, stack);
    else if ('end' in tok && Array.isArray(tok.end)) take(tok.end, stack);
  };
  const root: Frame[] = [{ indent: -1, path: [] }];
  take(doc.start, root);
  visitValue(doc.value, [], root);
  take(doc.end, root);
}
