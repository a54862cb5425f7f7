/**
 * Reading manifests for byte-preserving edits: YAML (multi-document) and JSON, parsed into the
 * yaml CST with composed documents that keep their source tokens, so a caller can change a few
 * scalars and stringify every other byte unchanged (comments, quoting, blank lines, CRLF).
 *
 * Every check that protects the caller happens here: a size cap, syntax errors, duplicate keys,
 * anchors/aliases (an alias bomb expands a few bytes into gigabytes; sealed sections must not
 * share nodes) — each a clear InputError that names the file and a line, never a value.
 */
import { CST, Composer, Parser, visit, isAlias, isNode, type Document } from 'yaml';
import { InputError } from '../errors.js';
import { duplicateKeyOffset, LINEAR_COMPOSE_OPTIONS } from './unique-keys.js';

/** The serializations sealops reads and writes byte-preservingly. */
export type ManifestFormat = 'yaml' | 'json';

/** Default cap on a manifest's size: far above any real Secret (Kubernetes caps them at 1 MiB). */
export const DEFAULT_MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/** A parsed manifest: the CST tokens (for writing) and the composed documents (for reading). */
export interface ParsedManifest {
  readonly text: string;
  readonly format: ManifestFormat;
  readonly source: string;
  /** The line ending the file uses, so inserted text matches it. */
  readonly eol: '\n' | '\r\n';
  /** Top-level CST tokens; `stringifyManifest` turns them back into text. */
  readonly tokens: CST.Token[];
  /** One composed document per YAML document, each holding the CST token it came from. */
  readonly docs: Document.Parsed[];
  /** The CST document token of each entry of `docs`, same order. */
  readonly docTokens: CST.Document[];
}

/** Options of {@link parseManifest}. */
export interface ParseManifestOptions {
  format?: ManifestFormat;
  /** What the input is called in messages (a path or `<stdin>`). */
  source?: string;
  maxBytes?: number;
  /** Allow anchors and aliases (read-only uses such as scanning); never for sealing. */
  allowAliases?: boolean;
}

const CODE_TEXT: Record<string, string> = {
  DUPLICATE_KEY: 'duplicate key',
  BAD_INDENT: 'bad indentation',
  BLOCK_AS_IMPLICIT_KEY: 'block value used as an implicit key',
  MISSING_CHAR: 'missing character',
  MULTILINE_IMPLICIT_KEY: 'implicit key spans lines',
  TAB_AS_INDENT: 'tab used as indentation',
  UNEXPECTED_TOKEN: 'unexpected token',
  ALIAS_PROPS: 'alias with properties',
  BAD_ALIAS: 'bad alias',
  BAD_DIRECTIVE: 'bad directive',
  BAD_DQ_ESCAPE: 'bad escape in double-quoted string',
  BAD_SCALAR_START: 'bad start of a plain scalar',
  KEY_OVER_1024_CHARS: 'implicit key longer than 1024 characters',
  IMPOSSIBLE: 'invalid structure',
  MISSING_ANCHOR: 'alias to a missing anchor',
  NON_STRING_KEY: 'non-string key',
  TAG_RESOLVE_FAILED: 'unresolvable tag',
};

/**
 * Deepest nesting of collections sealops reads: far beyond any real manifest, and far below
 * where the yaml composer's recursion gives out. Past that point it reports RESOURCE_EXHAUSTION
 * a few times and then V8 aborts the whole process (a fatal out-of-memory, not an exception),
 * which a long-running agent or a scan of many files must never hit.
 */
export const MAX_MANIFEST_DEPTH = 500;

/**
 * Offset of the first collection nested deeper than `max` levels, or undefined. Walks the CST
 * (which the parser builds without recursion) with an explicit stack, so any depth is safe here.
 */
export function nestingOverflow(tokens: readonly CST.Token[], max = MAX_MANIFEST_DEPTH): number | undefined {
  const stack: [CST.Token | null | undefined, number][] = tokens.map((t) => [t, 0]);
  while (stack.length > 0) {
    const [t, depth] = stack.pop() ?? [undefined, 0];
    if (!t) continue;
    if (t.type === 'document') stack.push([t.value, depth]);
    else if (t.type === 'block-map' || t.type === 'block-seq' || t.type === 'flow-collection') {
      if (depth + 1 > max) return t.offset;
      for (const item of t.items) stack.push(['key' in item ? item.key : undefined, depth + 1], [item.value, depth + 1]);
    }
  }
  return undefined;
}

/**
 * Throws InputError when `text` nests collections deeper than `max` (see
 * {@link MAX_MANIFEST_DEPTH}); pass `tokens` when the text is already parsed to a CST.
 */
export function checkManifestDepth(text: string, source: string, max = MAX_MANIFEST_DEPTH, tokens?: readonly CST.Token[]): void {
  const at = nestingOverflow(tokens ?? [...new Parser().parse(text)], max);
  if (at !== undefined) {
    throw new InputError(`failed to parse ${source}: collections nested deeper than ${max} levels at line ${lineOf(text, at)}`, {
      hint: 'no Kubernetes manifest nests that deep; check the file was generated correctly',
    });
  }
}

/** Offsets where each line of a text starts, for line lookups in logarithmic time. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

/** Line (1-based) of each offset of one text: the line starts are found once, each lookup is a binary search. */
export function lineIndex(text: string): (offset: number) => number {
  const starts = lineStarts(text);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * Line (1-based) of a byte offset, for messages that must not quote the input. For one lookup
 * (an error); a walk that asks for many lines of one text takes a {@link lineIndex}, since
 * comparing a cached text with an equal copy of it costs as much as the text is long.
 */
export function lineOf(text: string, offset: number): number {
  return lineIndex(text)(offset);
}

/** Guesses the format from a file name, then from the first non-blank character. */
export function detectManifestFormat(name: string | undefined, text: string): ManifestFormat {
  if (name && /\.json$/i.test(name)) return 'json';
  if (name && /\.ya?ml$/i.test(name)) return 'yaml';
  return /^\s*\{/.test(text) ? 'json' : 'yaml';
}

/** Throws InputError when `text` (or a size in bytes, to check a file before reading it) is larger than `maxBytes`. */
export function checkManifestSize(text: string | Uint8Array | number, source: string, maxBytes = DEFAULT_MAX_MANIFEST_BYTES): void {
  const size = typeof text === 'number' ? text : typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : text.length;
  if (size > maxBytes) {
    throw new InputError(`failed to read ${source}: ${size} bytes is over the ${maxBytes}-byte cap`, {
      hint: 'a Kubernetes Secret is at most 1 MiB; split the file',
    });
  }
}

/**
 * Throws InputError when a sealed result would be larger than the cap every reader applies, so
 * nothing is written that sealops could not open again (sealing grows a file: base64, envelopes,
 * metadata). Call before writing.
 */
export function checkSealedSize(output: string | Uint8Array, source: string, maxBytes = DEFAULT_MAX_MANIFEST_BYTES): void {
  const size = typeof output === 'string' ? Buffer.byteLength(output, 'utf8') : output.length;
  if (size > maxBytes) {
    throw new InputError(`failed to seal ${source}: the sealed form is ${size} bytes, over the ${maxBytes}-byte cap every sealops command reads`, {
      hint: 'nothing was written; split the Secret into several (Kubernetes caps a Secret at 1 MiB anyway)',
    });
  }
}

/**
 * Parses `text` for byte-preserving edits. Throws InputError on anything the caller could not
 * safely edit or read; the message names `source` and a line, never the offending content.
 */
export function parseManifest(text: string, opts: ParseManifestOptions = {}): ParsedManifest {
  const source = opts.source ?? '<input>';
  const format = opts.format ?? detectManifestFormat(undefined, text);
  checkManifestSize(text, source, opts.maxBytes);
  const tokens = [...new Parser().parse(text)];
  checkManifestDepth(text, source, MAX_MANIFEST_DEPTH, tokens);
  const composer = new Composer({ keepSourceTokens: true, intAsBigInt: true, prettyErrors: false, logLevel: 'error', ...LINEAR_COMPOSE_OPTIONS });
  // No forced empty document: a file of only comments has no document token to pair it with.
  const docs = [...composer.compose(tokens, false, text.length)];
  for (const doc of docs) {
    const err = doc.errors[0];
    const dup = err ? undefined : duplicateKeyOffset(doc);
    if (err || dup !== undefined) {
      const what = err ? (CODE_TEXT[err.code] ?? 'invalid syntax') : CODE_TEXT.DUPLICATE_KEY;
      throw new InputError(`failed to parse ${source}: ${what} at line ${lineOf(text, err?.pos[0] ?? dup ?? 0)}`, {
        hint: format === 'json' ? 'check the file is valid JSON' : 'check the file is valid YAML',
      });
    }
    if (!opts.allowAliases) refuseAliases(doc, text, source);
  }
  const docTokens = tokens.filter((t): t is CST.Document => t.type === 'document');
  if (docTokens.length !== docs.length) {
    throw new InputError(`failed to parse ${source}: could not match documents to their source`);
  }
  const nl = text.indexOf('\n');
  const eol = nl > 0 && text[nl - 1] === '\r' ? '\r\n' : '\n';
  return { text, format, source, eol, tokens, docs, docTokens };
}

function refuseAliases(doc: Document.Parsed, text: string, source: string): void {
  visit(doc, (_key, node) => {
    if (isAlias(node) || (isNode(node) && node.anchor)) {
      const at = isNode(node) && node.range ? ` at line ${lineOf(text, node.range[0])}` : '';
      throw new InputError(`failed to parse ${source}: YAML anchors and aliases are not supported${at}`, {
        hint: 'write the repeated value out in full; aliases can expand into huge documents and hide what is sealed',
      });
    }
  });
}

/** Turns CST tokens back into text; untouched tokens come out byte for byte. */
export function stringifyTokens(tokens: readonly CST.Token[]): string {
  let out = '';
  for (const t of tokens) out += CST.stringify(t);
  return out;
}

/** Options of {@link readDocuments}. */
export interface ReadDocumentsOptions {
  /** Refuse a mapping that repeats a key (default false: the last one wins, as kubectl reads it). */
  readonly uniqueKeys?: boolean;
  /** Keep empty documents as null, so indices match the file's documents (default false). */
  readonly keepEmpty?: boolean;
  /** Aliases that may be expanded (default 100; 0 refuses every alias). */
  readonly maxAliasCount?: number;
}

/**
 * The one YAML reader for plain values: every document of a YAML or JSON text as JS values.
 * Depth is capped, a parse error becomes an {@link InputError} naming the line (never quoting
 * the text), and the YAML library's warnings never reach the process's stderr.
 */
export function readDocuments(text: string, source = '<input>', opts: ReadDocumentsOptions = {}): unknown[] {
  // One CST serves the depth check and the composer (parseAllDocuments would parse it again).
  const tokens = [...new Parser().parse(text)];
  checkManifestDepth(text, source, MAX_MANIFEST_DEPTH, tokens);
  const out: unknown[] = [];
  for (const doc of new Composer({ prettyErrors: false, logLevel: 'error', ...LINEAR_COMPOSE_OPTIONS }).compose(tokens)) {
    const [err] = doc.errors;
    if (err) {
      const line = err.linePos?.[0]?.line ?? lineOf(text, err.pos[0]);
      throw new InputError(`failed to parse ${source}: invalid YAML at line ${line} (${err.code})`);
    }
    // The duplicate check runs in linear time (see unique-keys.ts), only where the caller asks.
    const dup = opts.uniqueKeys === true ? duplicateKeyOffset(doc) : undefined;
    if (dup !== undefined) throw new InputError(`failed to parse ${source}: invalid YAML at line ${lineOf(text, dup)} (DUPLICATE_KEY)`);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: opts.maxAliasCount ?? 100 });
    } catch (cause) {
      // Alias bombs and similar: the parser's message may quote the text, so it stays out.
      throw new InputError(`failed to parse ${source}: the YAML cannot be converted (too many aliases?)`, { cause });
    }
    if (opts.keepEmpty || (value !== null && value !== undefined)) out.push(value);
  }
  return out;
}
