/**
 * The YAML/JSON store: seals and opens the leaves of a parsed manifest in place (only the values
 * change, every other byte stays), and adds or removes the `sops` metadata of each document.
 */
import { isUtf8 } from 'node:buffer';
import { CST } from 'yaml';
import { decryptValue, encryptValue, isEncValue, type SopsValueType } from '../../crypto/index.js';
import { DecryptError, InputError } from '../../errors.js';
import { stringifyTokens, type ParsedManifest } from '../../manifest/index.js';
import { MacBuilder } from './mac.js';
import { renderMetadataJson, renderMetadataYaml, type SopsMetadata } from './metadata.js';
import { pathAad, type Selector } from './policy.js';
import { writePlainScalar, writeSealedPlain, writeSealedScalar } from './scalar-style.js';
import type { TreeDocument, TreeLeaf } from './tree.js';
import { formatGoFloat, leafToPlain, plainSourceLeaf, type PlainLeaf } from './values.js';

/**
 * Ciphertexts of a previous sealing, by path, type and plaintext, so re-sealing an unchanged
 * value writes the very same envelope and a diff shows only what changed.
 */
export class ReuseIndex {
  private readonly byKey = new Map<string, string[]>();

  private static key(aad: string, type: SopsValueType, plaintext: Uint8Array): string {
    const text = Buffer.from(plaintext).toString('utf8');
    // sops prints a whole float like an int (`6543`), and sealops reads that back as an int:
    // the same number keeps its envelope (and so its type) whichever way it was read.
    if ((type === 'int' || type === 'float') && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
      const f = Number(text);
      const exact = type === 'int' ? BigInt(text).toString() : Number.isInteger(f) ? BigInt(f).toString() : String(f);
      return `${aad}\u0000num\u0000${exact}`;
    }
    return `${aad}\u0000${type}\u0000${Buffer.from(plaintext).toString('base64')}`;
  }

  /** Remembers that `enc` holds `plaintext` at `aad`. */
  add(aad: string, type: SopsValueType, plaintext: Uint8Array, enc: string): void {
    const k = ReuseIndex.key(aad, type, plaintext);
    const list = this.byKey.get(k);
    if (list) list.push(enc);
    else this.byKey.set(k, [enc]);
  }

  /** An unused envelope for the same value at the same path, if there is one. */
  take(aad: string, type: SopsValueType, plaintext: Uint8Array): string | undefined {
    return this.byKey.get(ReuseIndex.key(aad, type, plaintext))?.shift();
  }

  private readonly plainAt = new Map<string, boolean[]>();

  /** Records, in document order, whether the envelope at `aad` was written as a plain scalar (as sops writes them). */
  addStyle(aad: string, plain: boolean): void {
    const list = this.plainAt.get(aad);
    if (list) list.push(plain);
    else this.plainAt.set(aad, [plain]);
  }

  /** Whether the next value sealed at `aad` stood as a plain scalar in the file it was opened from. */
  takeStyle(aad: string): boolean {
    return this.plainAt.get(aad)?.shift() ?? false;
  }
}

/**
 * The plaintext and type of a leaf as sops's store would read it: a plain scalar by its source
 * text (timestamps, floats, integers beyond int64), anything else by its parsed value.
 */
function leafPlain(leaf: TreeLeaf, json: boolean, where: string): PlainLeaf | null {
  if (leaf.token.type === 'scalar' && typeof leaf.value !== 'boolean') {
    const typed = plainSourceLeaf(leaf.token.source, json, `${where}: ${leaf.path.join('.')} (line ${leaf.line})`);
    if (typed) return typed;
  }
  return leafToPlain(leaf.value);
}

/** What sops hashes for a decrypted value: its typed value serialized again (ToBytes). */
export function canonicalBytes(plaintext: Buffer, type: SopsValueType): Buffer {
  const s = plaintext.toString('utf8');
  if (type === 'bool') return Buffer.from(/^(1|t|T|TRUE|true|True)$/.test(s) ? 'True' : 'False');
  if (type === 'int' && /^[-+]?\d+$/.test(s)) return Buffer.from(BigInt(s).toString());
  if (type === 'float' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return Buffer.from(formatGoFloat(Number(s)));
  return plaintext;
}

const COMMENT_ENC = /^#\s*(ENC\[AES256_GCM,.*,type:comment\])\s*$/;

/**
 * Seals every selected leaf (and comment) of `tree` in place under `dataKey` and returns the MAC
 * digest over all leaves. Throws InputError when a value already looks sealed.
 */
export function sealTree(
  parsed: ParsedManifest,
  tree: readonly TreeDocument[],
  dataKey: Uint8Array,
  select: Selector,
  opts: { macOnlyEncrypted?: boolean; reuse?: ReuseIndex } = {},
): string {
  const mac = new MacBuilder(opts.macOnlyEncrypted === true);
  const json = parsed.format === 'json';
  for (const doc of tree) {
    if (doc.sopsPair) throw new InputError(`failed to seal ${parsed.source}: it is already sealed (it has sops metadata)`, {
      hint: 'use `sealops edit` to change it, `sealops rekey` to change recipients',
    });
    for (const leaf of doc.leaves) {
      const plain = leafPlain(leaf, json, parsed.source);
      if (!plain) continue;
      const encrypt = select(leaf.path);
      if (encrypt || !opts.macOnlyEncrypted) mac.add(plain.bytes);
      if (!encrypt) continue;
      if (plain.type === 'str' && plain.bytes.length === 0) continue; // sops leaves "" as it is
      if (isEncValue(leaf.value)) {
        throw new InputError(`failed to seal ${parsed.source}: the value at ${leaf.path.join('.')} (line ${leaf.line}) is already encrypted`, {
          hint: 'the file looks partly sealed; restore the plaintext or start from the sealed file with `sealops edit`',
        });
      }
      const aad = pathAad(leaf.path);
      const enc = opts.reuse?.take(aad, plain.type, plain.bytes) ?? encryptValue(dataKey, plain.bytes, aad, plain.type);
      // A file sops wrote has plain envelopes: re-sealing keeps them plain whatever style the
      // plaintext was shown in, so an edit changes only the edited value's line.
      if (!json && !leaf.inFlow && opts.reuse?.takeStyle(aad)) writeSealedPlain(leaf.token, enc);
      else writeSealedScalar(leaf.token, enc, leaf.inFlow || json, leaf.parentIndent);
    }
    for (const c of doc.comments) {
      if (COMMENT_ENC.test(c.token.source)) continue;
      const text = c.token.source.slice(1);
      if (!select.comment(c.path, text)) continue;
      const bytes = Buffer.from(text, 'utf8');
      const aad = pathAad(c.path);
      const enc = opts.reuse?.take(aad, 'comment', bytes) ?? encryptValue(dataKey, bytes, aad, 'comment');
      // sops writes a comment between list items as an item of its own.
      c.token.source = c.inSeq && !json ? `- ${enc}` : `#${enc}`;
    }
  }
  return mac.digest();
}

/** What {@link openTree} reports for each sealed value it opened (for re-sealing). */
export type OpenedValue = (aad: string, type: SopsValueType, plaintext: Buffer, enc: string) => void;

/** The new envelope of an opened value (a rotation re-encrypts each one in place under a new data key). */
export type ResealValue = (aad: string, type: SopsValueType, plaintext: Buffer) => string;

/** What opening a store does besides computing the MAC digest. */
export interface OpenWalk {
  macOnlyEncrypted?: boolean;
  /** Write the plaintext in place of each envelope. */
  write: boolean;
  /** Called with each opened value (for re-sealing with the same envelopes). */
  onValue?: OpenedValue;
  /** Called with whether each envelope was a plain scalar (for re-sealing in the same style). */
  onStyle?: (aad: string, plain: boolean) => void;
  /** Replace each envelope, in its style, with the one this returns (not with `write`). */
  reseal?: ResealValue;
}

/**
 * Opens every sealed leaf and comment of `tree` with `dataKey` and returns the MAC digest of the
 * plaintext. With `write`, the plaintext replaces each envelope in the CST; with `reseal`, a new
 * envelope does. Throws DecryptError naming the file and key path when a value fails authentication.
 */
export function openTree(
  parsed: ParsedManifest,
  tree: readonly TreeDocument[],
  dataKey: Uint8Array,
  select: Selector,
  opts: OpenWalk,
): string {
  const mac = new MacBuilder(opts.macOnlyEncrypted === true);
  const json = parsed.format === 'json';
  for (const doc of tree) {
    for (const leaf of doc.leaves) {
      const where = `${parsed.source}: ${leaf.path.join('.')} (line ${leaf.line})`;
      const encrypted = select(leaf.path);
      if (!encrypted) {
        const plain = leafPlain(leaf, json, parsed.source);
        if (plain && !opts.macOnlyEncrypted) mac.add(plain.bytes);
        continue;
      }
      if (leaf.value === '') continue;
      if (typeof leaf.value !== 'string' || !isEncValue(leaf.value)) {
        throw new DecryptError(`failed to decrypt ${where}: the value should be encrypted but is not`, {
          hint: 'a plaintext value was put into a sealed file; use `sealops edit` to change values',
        });
      }
      const aad = pathAad(leaf.path);
      const { plaintext, type } = decryptValue(dataKey, leaf.value, aad, where);
      opts.onStyle?.(aad, leaf.token.type === 'scalar');
      if (opts.reseal && !opts.write) writeSealedScalar(leaf.token, opts.reseal(aad, type, plaintext), leaf.inFlow || json, leaf.parentIndent);
      if (type === 'comment') {
        // A comment that sops sealed as a list item: outside the MAC, written back as a comment.
        opts.onValue?.(aad, type, plaintext, leaf.value);
        if (opts.write) writeSeqComment(leaf, plaintext.toString('utf8'));
        continue;
      }
      mac.add(canonicalBytes(plaintext, type));
      opts.onValue?.(aad, type, plaintext, leaf.value);
      if (opts.write && !isUtf8(plaintext)) throw notUtf8(parsed.source, leaf.path);
      if (opts.write) writePlainScalar(leaf.token, plaintext, type, { inFlow: leaf.inFlow, json, parentIndent: leaf.parentIndent });
    }
    for (const c of doc.comments) {
      const m = COMMENT_ENC.exec(c.token.source);
      if (!m?.[1]) continue;
      const { plaintext, aad } = openComment(dataKey, m[1], c.path, doc.mapPaths, parsed.source);
      if (aad === pathAad(c.path)) opts.onValue?.(aad, 'comment', Buffer.from(plaintext, 'utf8'), m[1]);
      if (opts.write) c.token.source = `#${plaintext}`;
      else if (opts.reseal) {
        const enc = opts.reseal(aad, 'comment', Buffer.from(plaintext, 'utf8'));
        c.token.source = c.token.source.replace(m[1], () => enc);
      }
    }
  }
  return mac.digest();
}

function writeSeqComment(leaf: TreeLeaf, text: string): void {
  const item = leaf.seqItem;
  if (!item || /[\r\n]/.test(text)) {
    writePlainScalar(leaf.token, Buffer.from(`#${text}`, 'utf8'), 'str', { inFlow: leaf.inFlow, json: false, parentIndent: leaf.parentIndent });
    return;
  }
  // Drop the `- ` of the item: whatever stood before the dash (its indentation, in this token
  // or the one before) now stands before the comment, at the dash's column.
  const dash = item.start.findIndex((t) => t.type === 'seq-item-ind');
  item.start.splice(dash, item.start[dash + 1]?.type === 'space' ? 2 : 1);
  (leaf.token as CST.FlowScalar).source = `#${text}`;
  leaf.token.type = 'scalar';
}

/**
 * A value sops sealed from raw bytes (its binary store takes any file) that is not UTF-8: written
 * into text it would turn into U+FFFD, so unsealing stops instead of writing different bytes.
 */
export function notUtf8(source: string, path: readonly string[]): InputError {
  return new InputError(`failed to unseal ${source}: the value at ${path.join('.')} is not UTF-8 text`, {
    hint: 'sealops writes plaintext as text only; open this file with `sops -d` instead',
  });
}

function openComment(dataKey: Uint8Array, enc: string, path: string[], mapPaths: string[][], source: string): { plaintext: string; aad: string } {
  // sops and sealops can attach a comment to different maps; comments are outside the MAC, so
  // any map of the document whose AAD authenticates it is accepted.
  const candidates = [path, ...path.map((_, i) => path.slice(0, path.length - 1 - i)), ...mapPaths];
  const tried = new Set<string>();
  for (const p of candidates) {
    const aad = pathAad(p);
    if (tried.has(aad)) continue;
    tried.add(aad);
    try {
      return { plaintext: decryptValue(dataKey, enc, aad, source).plaintext.toString('utf8'), aad };
    } catch {
      // try the next map
    }
  }
  throw new DecryptError(`failed to decrypt a comment in ${source} under ${path.join('.') || 'the top level'}: authentication failed`);
}

/** Text of the sealed manifest: the edited CST plus `meta` at the end of every non-empty document. */
export function renderSealed(parsed: ParsedManifest, tree: readonly TreeDocument[], meta: SopsMetadata): string {
  let out = '';
  let d = 0;
  for (const tok of parsed.tokens) {
    let text = CST.stringify(tok);
    if (tok.type === 'document') {
      const doc = tree[d++];
      if (doc?.rootToken) text = appendMetadata(text, doc, meta, parsed);
    }
    out += text;
  }
  return out;
}

function appendMetadata(text: string, doc: TreeDocument, meta: SopsMetadata, parsed: ParsedManifest): string {
  const eol = parsed.eol;
  if (doc.rootToken?.type === 'flow-collection') {
    const close = text.lastIndexOf('}');
    let i = close - 1;
    while (i >= 0 && /\s/.test(text[i] ?? '')) i--;
    const lineStart = text.lastIndexOf('\n', i) + 1;
    const unit = /^[ \t]*/.exec(text.slice(lineStart))?.[0] || '\t';
    const comma = text[i] === '{' ? '' : ',';
    const body = renderMetadataJson(meta, unit, eol);
    const between = text.slice(i + 1, close);
    return `${text.slice(0, i + 1)}${comma}${eol}${unit}${body}${between.includes('\n') ? between : eol}${text.slice(close)}`;
  }
  const base = doc.rootToken?.indent ?? 0;
  let block = renderMetadataYaml(meta, doc.indentUnit || '  ', eol);
  if (base > 0) block = block.split(eol).map((l) => (l === '' ? l : ' '.repeat(base) + l)).join(eol);
  const sep = text === '' || text.endsWith('\n') ? '' : eol;
  return text + sep + block;
}

/** Removes the `sops` pair of every document from the CST (for unsealing). */
export function removeMetadata(tree: readonly TreeDocument[]): void {
  for (const doc of tree) {
    const items = doc.rootToken?.items;
    if (!items) continue;
    const i = items.findIndex((it) => it.key && CST.isScalar(it.key) && CST.resolveAsScalar(it.key).value === 'sops');
    if (i < 0) continue;
    const removed = items[i];
    const next = items[i + 1];
    if (doc.rootToken?.type === 'flow-collection') {
      items.splice(i, 1);
      // Whitespace after the removed value stood before the closing brace; keep it there.
      const v = removed?.value;
      const after = v && 'end' in v && Array.isArray(v.end) ? (v.end as CST.Token[]).filter((t) => t.type === 'newline' || t.type === 'space') : [];
      doc.rootToken.end = [...(after as CST.SourceToken[]), ...doc.rootToken.end];
      const hadComma = removed?.start.some((t) => t.type === 'comma');
      if (!hadComma && next) next.start = next.start.filter((t) => t.type !== 'comma');
    } else {
      // Comments before `sops:` belong to the document (sealing appended the block after
      // them): keep them as an item without key or value.
      items[i] = { start: removed?.start ?? [] };
      if (items[i]?.start.length === 0) items.splice(i, 1);
    }
  }
}

/** Stringifies the (edited) CST of `parsed`. */
export function renderPlain(parsed: ParsedManifest): string {
  return stringifyTokens(parsed.tokens);
}
