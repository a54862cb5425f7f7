/**
 * A sealed YAML file split into its body and its `sops:` block, the block read by a strict line
 * reader instead of the YAML parser.
 *
 * The block is half of a typical sealed Secret (the armored age files) and always has the same
 * few shapes, the ones sops (yaml.v3) and sealops write. Reading it by lines and leaving only the
 * body to the YAML parser takes a third off opening a file, which a bulk run does a thousand
 * times. The reader knows a narrow grammar and gives up (undefined) on anything else: the caller
 * then parses the whole text, so an unusual file reads exactly as before, never differently.
 *
 * Why the split is sound: in a document whose root is a block map, a line `sops:` at column 0 can
 * only be a key of that map (a quoted or flow value continued at column 0 is an error, and block
 * scalar content of a root key is indented), so when it is the only such line and every line
 * after it is indented, the text before it is the rest of the document.
 */

/** A sealed YAML text cut at its `sops:` line. */
export interface SealedYamlSplit {
  /** The document before the `sops:` line. */
  readonly body: string;
  /** The block as the YAML parser would give it (`toJS()` of the `sops` value). */
  readonly sops: Record<string, unknown>;
}

/** Keys of the block and of its age entries: lower-case words. */
const KEY = /^[a-z_][a-z0-9_]*$/;
/** Characters that may not open a plain scalar here (indicators, and `-` to keep clear of lists and numbers). */
const INDICATORS = ' -?:,[]{}#&*!|>\'"%@`';
/** Plain scalars the YAML 1.2 core schema reads as null, a number or a special float. */
const NOT_STRING = /^(?:~|null|Null|NULL|[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const BOOL = /^(?:true|True|TRUE|false|False|FALSE)$/;

/** The value of a scalar written after `key: `, or undefined when it is outside the grammar. */
function scalar(text: string): string | boolean | undefined {
  if (text.startsWith('"')) return /^"[^"\\]*"$/.test(text) ? text.slice(1, -1) : undefined;
  if (text.startsWith("'")) return /^'[^']*'$/.test(text) ? text.slice(1, -1) : undefined;
  if (BOOL.test(text)) return /^t/i.test(text);
  // A plain string: no indicator first, no `: ` or ` #` inside, not ending in `:` (lines never end in a space).
  if (text === '' || INDICATORS.includes(text.charAt(0)) || text.endsWith(':') || text.includes(': ') || text.includes(' #') || NOT_STRING.test(text)) return undefined;
  return text;
}

/** `indent`, `key` and the rest of a `key: value` (or `key:`) line; undefined for any other line. */
function keyLine(line: string): { indent: number; key: string; rest: string } | undefined {
  const m = /^( *)([^ :]+):(?: (.*))?$/.exec(line);
  if (!m || !KEY.test(m[2] ?? '')) return undefined;
  return { indent: m[1]?.length ?? 0, key: m[2] ?? '', rest: m[3] ?? '' };
}

/** True when `line` has exactly `indent` leading spaces and more after them. */
function indentedBy(line: string, pad: string): boolean {
  return line.length > pad.length && line.startsWith(pad) && line.charCodeAt(pad.length) !== SPACE;
}

const SPACE = 0x20;

/**
 * Reads the list of age entries that starts at `lines[i]` (items at `dash` columns): each item a
 * map of `recipient` and `enc` (a `|` block of equally indented lines). Returns the entries and
 * the index of the first line after the list, or undefined.
 */
function ageList(lines: readonly string[], i: number, dash: number): { entries: Record<string, string>[]; next: number } | undefined {
  const entries: Record<string, string>[] = [];
  const item = `${' '.repeat(dash)}- `;
  const keys = ' '.repeat(dash + 2);
  while (i < lines.length && (lines[i] as string).startsWith(item)) {
    const entry: Record<string, string> = {};
    let first = true;
    for (;;) {
      const raw = lines[i] as string;
      const kl = keyLine(first ? keys + raw.slice(dash + 2) : raw);
      if (!kl || kl.indent !== dash + 2 || kl.key in entry || (kl.key !== 'enc' && kl.key !== 'recipient')) return undefined;
      first = false;
      i++;
      if (kl.rest === '|') {
        const start = i;
        const indent = (lines[i] ?? '').length - (lines[i] ?? '').trimStart().length;
        if (indent <= dash + 2) return undefined;
        const pad = ' '.repeat(indent);
        while (i < lines.length && indentedBy(lines[i] as string, pad)) i++;
        if (i === start) return undefined;
        const body = lines.slice(start, i).map((l) => l.slice(indent));
        if (body.some((l) => l.startsWith('#'))) return undefined;
        entry[kl.key] = `${body.join('\n')}\n`;
      } else {
        const v = scalar(kl.rest);
        if (typeof v !== 'string') return undefined;
        entry[kl.key] = v;
      }
      if (!indentedBy(lines[i] ?? '', keys)) break;
    }
    if (!('enc' in entry) || !('recipient' in entry)) return undefined;
    entries.push(entry);
  }
  return entries.length > 0 ? { entries, next: i } : undefined;
}

/** Reads the lines of a `sops:` block (without the `sops:` line); undefined when outside the grammar. */
function readBlock(lines: readonly string[]): Record<string, unknown> | undefined {
  const unit = /^( +)\S/.exec(lines[0] ?? '')?.[1]?.length;
  if (unit === undefined) return undefined;
  const out: Record<string, unknown> = {};
  let i = 0;
  while (i < lines.length) {
    const kl = keyLine(lines[i] ?? '');
    if (!kl || kl.indent !== unit || Object.hasOwn(out, kl.key)) return undefined;
    i++;
    if (kl.rest === '[]') out[kl.key] = [];
    else if (kl.rest === '' && kl.key === 'age') {
      const dash = /^( *)- /.exec(lines[i] ?? '')?.[1]?.length;
      // yaml.v3 indents a list one unit under its key; a list at the key's own column is valid YAML too.
      if (dash === undefined || dash < unit) return undefined;
      const list = ageList(lines, i, dash);
      if (!list) return undefined;
      out[kl.key] = list.entries;
      i = list.next;
    } else {
      const v = scalar(kl.rest);
      if (v === undefined) return undefined;
      out[kl.key] = v;
    }
  }
  return out;
}

/**
 * Splits a sealed single-document YAML text at its `sops:` line and reads the block; undefined
 * when the text or the block is outside what the reader knows (the caller parses it all).
 */
export function splitSealedYaml(text: string): SealedYamlSplit | undefined {
  // Tabs, CR line ends, directives, document markers and any other `sops` key line: the parser's.
  if (!text.endsWith('\n') || text.includes('\t') || text.includes('\r') || /^(?:%|---|\.\.\.)/m.test(text)) return undefined;
  // After the line every line is indented, so another `sops` key could only stand before it.
  const at = text.indexOf('\nsops:\n') + 1;
  if (at === 0 || /^["']?sops["']?[ ]*:/m.test(text.slice(0, at))) return undefined;
  const lines = text.slice(at + 'sops:\n'.length, -1).split('\n');
  // Every line of the block indented, none blank, none ending in a space.
  for (const l of lines) if (l.charCodeAt(0) !== SPACE || l.charCodeAt(l.length - 1) === SPACE) return undefined;
  const sops = readBlock(lines);
  return sops ? { body: text.slice(0, at), sops } : undefined;
}

/** One scalar of a body read by lines: its key path, value, and where its text stands in the body. */
export interface BodyLeaf {
  readonly path: readonly string[];
  /** The value: the text of a plain scalar, the inside of a quoted one; `true`/`false` for a YAML boolean. */
  readonly value: string | boolean;
  /** Offsets of the scalar's text (quotes included) in the body. */
  readonly start: number;
  readonly end: number;
}

/** A document body read by lines: every scalar in order, and the indentation unit the parser would find. */
export interface SealedBody {
  readonly leaves: readonly BodyLeaf[];
  readonly indentUnit: string;
}

/** Keys of the body: plain words as Kubernetes writes them (annotation keys included). */
const BODY_KEY = /^( *)([A-Za-z0-9_][A-Za-z0-9_./-]*):(?: (.*))?$/;

/** The value of a body scalar, or undefined outside the grammar (anything but a single-line string or boolean). */
function bodyScalar(text: string): string | boolean | undefined {
  const v = scalar(text);
  // A plain scalar opening with a digit may read as a time or a number to sops: the parser's.
  return typeof v === 'string' && !/^['"]/.test(text) && /^[\d+.]/.test(text) ? undefined : v;
}

/**
 * Reads the body of a sealed YAML file (what {@link splitSealedYaml} leaves) when it is a block map
 * of plain keys whose values are maps or single-line strings and booleans, with whole-line
 * comments that are not sealed: the shape of a Kubernetes Secret sealed by sops or sealops.
 * Undefined for anything else (lists, flow and block scalars, multi-line values, anchors, tags,
 * sealed comments, trailing comments, duplicate keys, uneven indentation): the parser's.
 */
export function readSealedBody(body: string): SealedBody | undefined {
  const leaves: BodyLeaf[] = [];
  // Open maps, innermost last: their indentation (undefined until the first key), path and keys.
  const stack: { indent: number | undefined; path: string[]; keys: Set<string> }[] = [{ indent: 0, path: [], keys: new Set() }];
  let minNested = Infinity;
  let pending: { path: string[]; indent: number } | undefined;
  let at = 0;
  for (const line of body.split('\n')) {
    const lineStart = at;
    at += line.length + 1;
    const trimmed = line.trimStart();
    if (trimmed === '') continue;
    // Trailing blanks are not part of a value; tabs are never indentation: the parser's.
    if (/[ \t]$/.test(line) || line.includes('\t')) return undefined;
    if (trimmed.startsWith('#')) {
      if (trimmed.includes('ENC[')) return undefined;
      continue;
    }
    const m = BODY_KEY.exec(line);
    if (!m) return undefined;
    const indent = m[1]?.length ?? 0;
    const key = m[2] ?? '';
    const rest = m[3];
    // A key YAML reads as a number, boolean or null: the parser refuses it (sops does too).
    if (/^[\d+.]/.test(key) || NOT_STRING.test(key) || BOOL.test(key)) return undefined;
    if (pending) {
      // The line after `key:`: deeper opens its map, anything else leaves the key null.
      if (indent > pending.indent) {
        stack.push({ indent, path: pending.path, keys: new Set() });
        minNested = Math.min(minNested, indent);
      }
      pending = undefined;
    }
    while (stack.length > 1 && (stack.at(-1)?.indent ?? 0) > indent) stack.pop();
    const map = stack.at(-1);
    if (!map || map.indent !== indent || map.keys.has(key)) return undefined;
    map.keys.add(key);
    const path = [...map.path, key];
    if (rest === undefined || rest === '') {
      pending = { path, indent };
      continue;
    }
    const value = bodyScalar(rest);
    if (value === undefined) return undefined;
    const start = lineStart + line.length - rest.length;
    leaves.push({ path, value, start, end: start + rest.length });
  }
  return { leaves, indentUnit: ' '.repeat(Number.isFinite(minNested) ? Math.min(minNested, 8) : 2) };
}
