/**
 * Judging one file's content: binaries and oversized files are skipped with a note; `.yaml`,
 * `.yml`, `.json` and kustomization files are parsed (a file that does not parse is an error,
 * never a pass); every text file goes through the token rules.
 */
import { LineCounter, Parser, parseAllDocuments } from 'yaml';
import { MAX_MANIFEST_DEPTH, nestingOverflow } from '../manifest/parse.js';
import { duplicateKeyOffset, LINEAR_COMPOSE_OPTIONS } from '../manifest/unique-keys.js';
import { fingerprint, type Allowance, type Finding, type RawFinding } from './findings.js';
import { checkKustomization, isKustomizationPath, type GeneratorRef } from './rules/kustomize.js';
import { checkTemplatedSecrets } from './rules/helm.js';
import { checkDocument } from './rules/manifest.js';
import { scanTokens } from './rules/tokens.js';

/** Files larger than this are not read (10 MiB); each one is listed as a note. */
export const SCAN_MAX_FILE_BYTES = 10 * 1024 * 1024;

/** The result of judging one file, before exceptions from the ignore file apply. */
export interface FileVerdict {
  readonly findings: Finding[];
  /** Why the file was not judged, when it was not. */
  readonly note?: string;
  /** Files named by a secretGenerator in this file, to judge next. */
  readonly refs: GeneratorRef[];
}

const STRUCTURED = /\.(?:ya?ml|json)$/i;
/**
 * Without one of these a YAML/JSON file cannot hold anything the manifest rules judge: a Secret
 * or SealedSecret needs the word `Secret`, a SOPS file `sops` or `ENC[`, a generator
 * `secretGenerator`; a backslash is included because a double-quoted escape (`"\u0053ecret"`)
 * could spell any of them.
 */
const MANIFEST_WORDS = /Secret|sops|ENC\[|secretGenerator|\\/;

/** True when the first 8 KiB hold a NUL byte (git's own test for binary). */
function isBinary(content: Buffer): boolean {
  return content.subarray(0, 8192).includes(0);
}

/**
 * The text of a UTF-16 file that starts with a byte order mark, else undefined. Such a file is
 * full of NUL bytes, yet YAML parsers (go-yaml under kubectl and kustomize) read it, so it must
 * be judged, not skipped as binary.
 */
function decodeUtf16(content: Buffer): string | undefined {
  if (content.length < 2 || content.length % 2 !== 0) return undefined;
  if (content[0] === 0xff && content[1] === 0xfe) return content.subarray(2).toString('utf16le');
  if (content[0] === 0xfe && content[1] === 0xff) return Buffer.from(content.subarray(2)).swap16().toString('utf16le');
  return undefined;
}

/**
 * A Kubernetes Secret or SealedSecret in a file of any name (`secret.txt`, `db.conf`, no
 * extension): `kind: Secret` on a line of its own, or `"kind": "Secret"` in JSON.
 */
const SECRET_SNIFF = /^\s*kind:\s*["']?(?:Secret|SealedSecret)["']?\s*(?:#.*)?$|"kind"\s*:\s*"(?:Secret|SealedSecret)"/m;

/**
 * A file over the size cap is not read, but it must not pass either: it blocks until its
 * fingerprint is allowed in `.sealopsignore` (a padded plaintext Secret is still a Secret).
 */
export function oversizeFinding(path: string, commit?: string): Finding {
  return {
    rule: 'file-too-large',
    path,
    line: 1,
    column: 1,
    message: `larger than ${SCAN_MAX_FILE_BYTES} bytes, so the guard cannot judge it`,
    severity: 'finding',
    fingerprint: fingerprint('file-too-large', path, 'file-too-large'),
    ...(commit ? { commit } : {}),
  };
}

/** Judges `content` as the file at `path` (repository-relative, `/`-separated). */
export function scanFile(path: string, content: Buffer, commit?: string): FileVerdict {
  if (content.length > SCAN_MAX_FILE_BYTES) return { findings: [oversizeFinding(path, commit)], refs: [] };
  const utf16 = decodeUtf16(content);
  if (utf16 === undefined && isBinary(content)) return { findings: [], refs: [], note: 'skipped: binary file' };
  const text = utf16 ?? content.toString('utf8');
  const raw: RawFinding[] = [];
  let refs: GeneratorRef[] = [];
  let note: string | undefined;
  const structured = STRUCTURED.test(path) || isKustomizationPath(path);
  if (structured || SECRET_SNIFF.test(text)) {
    const parsed = parseStructured(path, text);
    // A file judged only by its content may be anything (notes, a script with a manifest in a
    // heredoc): when it does not parse, its manifest rules are moot, not an error.
    raw.push(...(structured ? parsed.findings : parsed.findings.filter((f) => f.rule !== 'parse-error')));
    refs = parsed.refs;
    note = parsed.note;
  }
  const spans = raw.flatMap((f) => (f.span ? [f.span] : []));
  raw.push(...scanTokens(text, spans));
  // Most files have no finding: index their lines only when one needs a position.
  const lines = raw.length > 0 ? new LineIndex(text) : undefined;
  return { findings: lines ? raw.map((r) => locate(r, path, lines, commit)) : [], refs, ...(note ? { note } : {}) };
}

function parseStructured(path: string, text: string): { findings: RawFinding[]; refs: GeneratorRef[]; note?: string } {
  const isJson = /\.json$/i.test(path) || (!STRUCTURED.test(path) && /^\s*\{/.test(text));
  const kustomization = isKustomizationPath(path);
  if (!kustomization && !MANIFEST_WORDS.test(text)) {
    // Nothing the manifest rules judge can be inside, so the full (slow) YAML composition is
    // skipped; the file must still be syntactically JSON, or pass the YAML syntax parser.
    if (isJson) {
      try {
        JSON.parse(text);
        return { findings: [], refs: [] };
      } catch (err) {
        return { findings: [parseError(jsonErrorOffset(err, text), 'not valid JSON')], refs: [] };
      }
    }
    const at = cstErrorOffset(text);
    if (at === undefined) return { findings: [], refs: [] };
    if (looksLikeTemplate(path, text)) return { findings: checkTemplatedSecrets(text), refs: [], note: TEMPLATE_NOTE };
    return { findings: [parseError(at, 'not valid YAML')], refs: [] };
  }
  const deep = nestingOverflow([...new Parser().parse(text)]);
  if (deep !== undefined) return { findings: [parseError(deep, `nested deeper than ${MAX_MANIFEST_DEPTH} levels`)], refs: [] };
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, logLevel: 'error', ...LINEAR_COMPOSE_OPTIONS });
  const list = Array.isArray(docs) ? docs : [docs];
  const findings: RawFinding[] = [];
  const refs: GeneratorRef[] = [];
  for (const doc of list) {
    const dup = doc.errors.length === 0 ? duplicateKeyOffset(doc) : undefined;
    const first = doc.errors[0] ?? (dup === undefined ? undefined : { pos: [dup], code: 'DUPLICATE_KEY' });
    if (first) {
      if (looksLikeTemplate(path, text)) return { findings: checkTemplatedSecrets(text), refs: [], note: TEMPLATE_NOTE };
      return { findings: [parseError(first.pos[0], `not valid ${isJson ? 'JSON' : 'YAML'} (${first.code.toLowerCase().replace(/_/g, ' ')})`)], refs: [] };
    }
    findings.push(...checkDocument(doc));
    if (kustomization) {
      const k = checkKustomization(path, doc);
      findings.push(...k.findings);
      refs.push(...k.refs);
    }
  }
  return { findings, refs };
}

const TEMPLATE_NOTE = 'skipped manifest rules: a template ({{ }}), not YAML; token rules applied';

/** Offset of the first syntax error the YAML CST parser finds, or undefined. */
function cstErrorOffset(text: string): number | undefined {
  // Errors sit among the tokens of a document, a collection's items, or an item's parts.
  const stack: unknown[] = [...new Parser().parse(text)];
  while (stack.length > 0) {
    const t = stack.pop() as Record<string, unknown> | null | undefined;
    if (t === null || typeof t !== 'object') continue;
    if (t.type === 'error') return typeof t.offset === 'number' ? t.offset : 0;
    for (const key of CST_CHILDREN) {
      const v = t[key];
      if (Array.isArray(v)) for (const x of v as unknown[]) stack.push(x);
      else if (v !== null && typeof v === 'object') stack.push(v);
    }
  }
  return undefined;
}

const CST_CHILDREN = ['start', 'value', 'end', 'items', 'key', 'sep', 'props'] as const;

function parseError(offset: number, why: string): RawFinding {
  return { rule: 'parse-error', offset, message: `${why}; the guard cannot judge a file it cannot parse`, severity: 'error', subject: 'parse-error' };
}

/**
 * Where JSON.parse gave up. Node 20 names a position for some errors and quotes a snippet
 * around the fault for others (`Unexpected token 'o', ..."b": oops..." is not valid JSON`).
 */
function jsonErrorOffset(err: unknown, text: string): number {
  const message = err instanceof Error ? err.message : '';
  const pos = /position (\d+)/.exec(message);
  if (pos) return Math.min(Number(pos[1]), text.length);
  if (/end of JSON input/.test(message)) return Math.max(0, text.length - 1);
  const m = /Unexpected token '(.)', (?:\.\.\.)?"([\s\S]*?)"(?:\.\.\.)? is not valid JSON/.exec(message);
  if (m?.[1] && m[2]) {
    const at = text.indexOf(m[2]);
    if (at >= 0) return at + Math.max(0, m[2].indexOf(m[1]));
  }
  return 0;
}

/** Helm and similar charts keep Go templates in `templates/`; they are not YAML until rendered. */
function looksLikeTemplate(path: string, text: string): boolean {
  return text.includes('{{') && (path.startsWith('templates/') || path.includes('/templates/'));
}

/** Maps character offsets to 1-based lines and columns, and finds inline `sealops:allow` comments. */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(private readonly text: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
  }

  /** 1-based line and column of `offset`. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (this.starts[lo] ?? 0) + 1 };
  }

  /** Text of 1-based `line` without its newline. */
  lineText(line: number): string {
    const start = this.starts[line - 1];
    if (start === undefined) return '';
    const end = this.starts[line] ?? this.text.length + 1;
    return this.text.slice(start, end - 1);
  }

  /** True when `sealops:allow` is written on `line` or the line above it. */
  allows(line: number): boolean {
    return this.lineText(line).includes('sealops:allow') || (line > 1 && this.lineText(line - 1).includes('sealops:allow'));
  }
}

/** Turns a raw finding into a located, fingerprinted one, allowed when an inline comment says so. */
export function locate(raw: RawFinding, path: string, lines: LineIndex, commit?: string): Finding {
  const { line, column } = lines.position(raw.offset);
  const allowed: Allowance | undefined = lines.allows(line) ? 'inline' : undefined;
  return {
    rule: raw.rule,
    path,
    line,
    column,
    message: raw.message,
    severity: raw.severity ?? 'finding',
    fingerprint: fingerprint(raw.rule, path, raw.subject),
    ...(allowed ? { allowed } : {}),
    ...(commit ? { commit } : {}),
  };
}

/** Posix form of a path for reports and fingerprints. */
export function toPosix(p: string): string {
  return p.split('\\').join('/').replace(/^\.\//, '');
}
