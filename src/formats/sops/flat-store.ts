/**
 * The line-based stores sops also writes: dotenv (`KEY=value`, metadata as `sops_…` keys) and
 * INI (`[section]`, metadata in a `[sops]` section). Metadata keys are flattened the sops way:
 * `age__list_0__map_enc` is `age[0].enc`, and newlines in values are written as `\n`.
 * Both are read and written; comments are sealed as sops seals them (dotenv: the text after
 * `#`, under the AAD `:`; INI: the text after `; `, under the AAD of the section it precedes).
 */
import { isUtf8 } from 'node:buffer';
import { decryptValue, encryptValue, isEncValue, type SopsValueType } from '../../crypto/index.js';
import { DecryptError, InputError } from '../../errors.js';
import { MacBuilder } from './mac.js';
import { metadataObject, parseMetadata, type SopsMetadata } from './metadata.js';
import { pathAad, type Selector } from './policy.js';
import { notUtf8, type OpenWalk } from './yaml-store.js';

/** The line stores. */
export type FlatFormat = 'dotenv' | 'ini';

interface FlatLine {
  raw: string;
  kind: 'kv' | 'comment' | 'section' | 'blank';
  /** For kv: the path (section + key for INI, key for dotenv). */
  path: string[];
  /** For kv: text up to and including `=` (and its padding), and the value. */
  head: string;
  value: string;
  /** For comments: the marker (`#` or `;` plus spacing) and the text. */
  isMeta: boolean;
}

/** A parsed flat file. */
export interface FlatFile {
  format: FlatFormat;
  eol: string;
  lines: FlatLine[];
  /** The metadata as an unflattened object, or null when the file carries none. */
  rawMeta: Record<string, unknown> | null;
}

function unflatten(flat: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flat)) {
    const parts = key.split('__');
    let cur: Record<string, unknown> | unknown[] = root;
    const first = parts.shift() ?? '';
    const segs: (string | number)[] = [first];
    for (const p of parts) {
      const m = /^list_(\d+)$/.exec(p);
      if (m) segs.push(Number(m[1]));
      else if (p.startsWith('map_')) segs.push(p.slice(4));
      else segs.push(p);
    }
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i] as string | number;
      const last = i === segs.length - 1;
      const nextIsIndex = typeof segs[i + 1] === 'number';
      const container = cur as Record<string | number, unknown>;
      if (last) container[s] = value;
      else {
        container[s] ??= nextIsIndex ? [] : {};
        cur = container[s] as Record<string, unknown> | unknown[];
      }
    }
  }
  return root;
}

/** Parses a dotenv or INI file into lines and its metadata. */
export function parseFlat(text: string, format: FlatFormat): FlatFile {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const flatMeta: Record<string, string> = {};
  let section = '';
  const lines: FlatLine[] = text.split(/\r?\n/).map((raw): FlatLine => {
    const base = { raw, path: [] as string[], head: '', value: '', isMeta: false };
    const t = raw.trim();
    if (t === '') return { ...base, kind: 'blank' };
    if (t.startsWith('#') || (format === 'ini' && t.startsWith(';'))) return { ...base, kind: 'comment', isMeta: section === 'sops' };
    if (format === 'ini' && /^\[.*\]$/.test(t)) {
      section = t.slice(1, -1).trim();
      return { ...base, kind: 'section', isMeta: section === 'sops' };
    }
    const eq = raw.indexOf('=');
    if (eq < 0) throw new InputError(`failed to parse ${format} line: expected KEY=value`);
    const key = raw.slice(0, eq).trim();
    const valueStart = format === 'ini' ? eq + 1 + (/^\s*/.exec(raw.slice(eq + 1))?.[0].length ?? 0) : eq + 1;
    const value = raw.slice(valueStart);
    if (format === 'dotenv' && key.startsWith('sops_')) {
      flatMeta[key.slice(5)] = value.replace(/\\n/g, '\n');
      return { ...base, kind: 'kv', isMeta: true };
    }
    if (format === 'ini' && section === 'sops') {
      flatMeta[key] = value.replace(/\\n/g, '\n');
      return { ...base, kind: 'kv', isMeta: true };
    }
    const path = format === 'ini' ? [section, key] : [key];
    return { ...base, kind: 'kv', path, head: raw.slice(0, valueStart), value };
  });
  return { format, eol, lines, rawMeta: Object.keys(flatMeta).length > 0 ? unflatten(flatMeta) : null };
}

/** Reads the metadata of a flat file; InputError when it has none. */
export function flatMetadata(file: FlatFile, source: string): SopsMetadata {
  if (!file.rawMeta) throw new InputError(`failed to read ${source}: it is not sealed (no sops metadata)`);
  return parseMetadata(file.rawMeta, source);
}

function commentSplit(raw: string, format: FlatFormat): { marker: string; text: string } {
  // sops keeps everything after `#` in a dotenv comment (the space too); INI drops `; `.
  const m = (format === 'dotenv' ? /^(\s*#)(.*)$/ : /^(\s*[#;]\s?)(.*)$/).exec(raw);
  return { marker: m?.[1] ?? '#', text: m?.[2] ?? '' };
}

/**
 * The path a comment is sealed under, per line: dotenv comments sit at the top level; an INI
 * comment belongs to the element after it (go-ini's rule), so to the section of the next key
 * or section header.
 */
function commentPaths(file: FlatFile): string[][] {
  const out: string[][] = [];
  let next: string[] = [];
  for (let i = file.lines.length - 1; i >= 0; i--) {
    const l = file.lines[i];
    if (file.format === 'ini' && l?.kind === 'section') next = [l.raw.trim().slice(1, -1).trim()];
    else if (file.format === 'ini' && l?.kind === 'kv' && !l.isMeta) next = l.path.slice(0, 1);
    out[i] = file.format === 'ini' ? next : [];
  }
  return out;
}

/** Decrypts the values of a flat file in place (when `write`) and returns the MAC digest. */
export function openFlat(
  file: FlatFile,
  dataKey: Uint8Array,
  select: Selector,
  source: string,
  opts: OpenWalk,
): string {
  const { write, onValue, reseal } = opts;
  const macOnlyEncrypted = opts.macOnlyEncrypted === true;
  const mac = new MacBuilder(macOnlyEncrypted);
  const paths = commentPaths(file);
  for (const [i, line] of file.lines.entries()) {
    if (line.isMeta) continue;
    if (line.kind === 'comment') {
      const { marker, text } = commentSplit(line.raw, file.format);
      if (!isEncValue(text.trim())) continue;
      let plain: string | undefined;
      let at = '';
      // Where go-ini attaches a comment is not always where it stands (a trailing comment has
      // no element after it): the top level is tried too. Comments are outside the MAC either way.
      for (const aad of new Set([pathAad(paths[i] ?? []), ':', ''])) {
        try {
          plain = decryptValue(dataKey, text.trim(), aad, source).plaintext.toString('utf8');
          onValue?.(aad, 'comment', Buffer.from(plain, 'utf8'), text.trim());
          at = aad;
          break;
        } catch {
          // try the next placement
        }
      }
      if (plain === undefined) throw new DecryptError(`failed to decrypt a comment in ${source}: authentication failed`);
      if (write) line.raw = `${marker}${file.format === 'ini' && !marker.endsWith(' ') ? ' ' : ''}${plain}`;
      else if (reseal) {
        const enc = reseal(at, 'comment', Buffer.from(plain, 'utf8'));
        line.raw = marker + text.replace(text.trim(), () => enc);
      }
      continue;
    }
    if (line.kind !== 'kv') continue;
    const where = `${source}: ${line.path.join('.')}`;
    if (!select(line.path)) {
      if (!macOnlyEncrypted) mac.add(Buffer.from(line.value, 'utf8'));
      continue;
    }
    if (line.value === '') continue;
    if (!isEncValue(line.value)) throw new DecryptError(`failed to decrypt ${where}: the value should be encrypted but is not`);
    const { plaintext, type } = decryptValue(dataKey, line.value, pathAad(line.path), where);
    mac.add(plaintext);
    onValue?.(pathAad(line.path), type, plaintext, line.value);
    if (!write && reseal) line.raw = line.head + reseal(pathAad(line.path), type, plaintext);
    if (write && !isUtf8(plaintext)) throw notUtf8(source, line.path);
    if (write) line.raw = line.head + (file.format === 'dotenv' ? plaintext.toString('utf8').replace(/\n/g, '\\n') : plaintext.toString('utf8'));
  }
  return mac.digest();
}

/** Seals the values and comments of a dotenv or INI file in place and returns the MAC digest. */
export function sealFlat(
  file: FlatFile,
  dataKey: Uint8Array,
  select: Selector,
  macOnlyEncrypted: boolean,
  source: string,
  reuse?: { take(aad: string, type: SopsValueType, plaintext: Uint8Array): string | undefined },
): string {
  if (file.rawMeta) throw new InputError(`failed to seal ${source}: it is already sealed (it has sops metadata)`);
  const mac = new MacBuilder(macOnlyEncrypted);
  const paths = commentPaths(file);
  for (const [i, line] of file.lines.entries()) {
    if (line.kind === 'comment') {
      const { marker, text } = commentSplit(line.raw, file.format);
      const path = paths[i] ?? [];
      if (isEncValue(text.trim()) || !select.comment(path, text)) continue;
      const bytes = Buffer.from(text, 'utf8');
      const aad = pathAad(path);
      line.raw = `${marker}${file.format === 'ini' && !marker.endsWith(' ') ? ' ' : ''}${reuse?.take(aad, 'comment', bytes) ?? encryptValue(dataKey, bytes, aad, 'comment')}`;
      continue;
    }
    if (line.kind !== 'kv') continue;
    const plain = Buffer.from(file.format === 'dotenv' ? line.value.replace(/\\n/g, '\n') : line.value, 'utf8');
    const encrypt = select(line.path);
    if (encrypt || !macOnlyEncrypted) mac.add(plain);
    if (!encrypt || plain.length === 0) continue;
    const aad = pathAad(line.path);
    line.raw = line.head + (reuse?.take(aad, 'str', plain) ?? encryptValue(dataKey, plain, aad, 'str'));
  }
  return mac.digest();
}

function flatten(value: unknown, prefix: string, out: [string, string][]): void {
  if (Array.isArray(value)) value.forEach((v, i) => flatten(v, `${prefix}__list_${i}`, out));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix === '' ? k : `${prefix}__map_${k}`, out);
  } else out.push([prefix, String(value)]);
}

/**
 * Renders a flat file without its metadata lines, plus `meta` flattened at the end the way
 * sops writes it: `sops_key=value` lines for dotenv, a `[sops]` section with aligned `=` for INI.
 */
export function renderFlat(file: FlatFile, meta: SopsMetadata | null): string {
  const kept = file.lines.filter((l) => !l.isMeta).map((l) => l.raw);
  // The blank line before the metadata (INI's `[sops]` section) goes with it.
  while ((meta || file.rawMeta) && kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  if (!meta && file.rawMeta) kept.push('');
  if (meta) {
    const pairs: [string, string][] = [];
    flatten(metadataObject(meta), '', pairs);
    if (file.format === 'ini') {
      const width = Math.max(...pairs.map(([k]) => k.length));
      kept.push('', '[sops]', ...pairs.map(([k, v]) => `${k.padEnd(width)} = ${v.replace(/\n/g, '\\n')}`));
    } else for (const [k, v] of pairs) kept.push(`sops_${k}=${v.replace(/\n/g, '\\n')}`);
    kept.push('');
  }
  return kept.join(file.eol);
}
