/**
 * One interface over the stores sops writes (YAML/JSON trees, dotenv/INI lines, binary), so
 * every operation of the engine (seal, open, verify, rekey, rotate, edit) has a single body
 * and every store supports every operation. A store owns its parsed text: sealing and opening
 * change values in place, rendering writes the text back with or without metadata.
 */
import { isMap } from 'yaml';
import { isEncValue, parseEncValue } from '../../crypto/index.js';
import { InputError } from '../../errors.js';
import { checkManifestSize, detectManifestFormat, isKubernetesSecret, parseManifest, type ManifestFormat, type ParsedManifest } from '../../manifest/index.js';
import { flatMetadata, openFlat, parseFlat, renderFlat, sealFlat, type FlatFile } from './flat-store.js';
import { parseMetadata, type SopsMetadata } from './metadata.js';
import type { SelectionRules, Selector } from './policy.js';
import { splitSealedYaml } from './sealed-yaml.js';
import { buildTree, type TreeDocument } from './tree.js';
import { openTree, removeMetadata, renderPlain, renderSealed, sealTree, type OpenWalk, type ReuseIndex } from './yaml-store.js';

/**
 * The stores sealops reads and writes: YAML and JSON (byte-preserving), dotenv, INI and binary
 * (any bytes, stored as sops does: a JSON document with one `data` value).
 */
export type SopsFormat = ManifestFormat | 'dotenv' | 'ini' | 'binary';

/** The selection rules sealops uses for Kubernetes Secrets: only `data` and `stringData` are sealed. */
export const SECRET_ENCRYPTED_REGEX = '^(data|stringData)$';

/** What sops uses when nothing else is configured. */
const SOPS_DEFAULT_RULES: SelectionRules = { unencrypted_suffix: '_unencrypted' };

/** Picks the store from a file name (`.env`, `.ini`, `.json`, `.yaml`), else from the content. */
export function detectSopsFormat(name: string | undefined, text: string): SopsFormat {
  if (name && /\.env$|(^|\/)\.env(\.|$)/i.test(name)) return 'dotenv';
  if (name && /\.ini$/i.test(name)) return 'ini';
  return detectManifestFormat(name, text);
}

/** Options of {@link SopsStore.seal} and {@link SopsStore.open}. */
export interface StoreWalkOptions {
  macOnlyEncrypted?: boolean;
  reuse?: ReuseIndex;
}

/** Options of {@link SopsStore.open}. */
export type OpenOptions = OpenWalk;

/** One parsed file of any store. */
export interface SopsStore {
  readonly source: string;
  /** The metadata the file carries; InputError when it carries none. */
  metadata(): SopsMetadata;
  /** True when the file carries sops metadata. */
  isSealed(): boolean;
  /** The rules to seal this content with when none are given. */
  defaultRules(): SelectionRules;
  /** Seals every selected value and comment in place; returns the MAC digest. */
  seal(dataKey: Uint8Array, select: Selector, opts: StoreWalkOptions): string;
  /** Opens every sealed value (writing the plaintext or a new envelope in place, as asked); returns the MAC digest. */
  open(dataKey: Uint8Array, select: Selector, opts: OpenOptions): string;
  /** Problems visible without keys: values that should be sealed and are not, malformed envelopes. */
  problems(select: Selector): string[];
  /** The text with `meta` written in place of any metadata it had. */
  renderSealed(meta: SopsMetadata): string;
  /** The text without metadata (the plaintext after `open` with `write`). */
  renderPlain(): string;
  /**
   * The parsed text and tree of a YAML/JSON store, where Secrets live (scope binding and the
   * plaintext checks read and edit them); undefined for the other stores.
   */
  view(): { parsed: ParsedManifest; tree: TreeDocument[] } | undefined;
}

/** True when `value` parses as an `ENC[…]` envelope (its parts present and well-formed). */
export function wellFormed(value: string): boolean {
  try {
    parseEncValue(value, '');
    return true;
  } catch {
    return false;
  }
}

function leafProblem(path: readonly string[], where: string, value: unknown, mustSeal: boolean): string | undefined {
  if (mustSeal && value !== '' && !isEncValue(value)) return `${path.join('.')}${where} is not encrypted`;
  if (isEncValue(value) && !wellFormed(value)) return `${path.join('.')}${where} is not a well-formed encrypted value`;
  return undefined;
}

class TreeStore implements SopsStore {
  private readonly tree: TreeDocument[];

  /** `sops`: the metadata block read apart from `parsed` (sealed-yaml.ts), which then holds the rest. */
  constructor(
    private readonly parsed: ParsedManifest,
    private readonly sops?: Record<string, unknown>,
  ) {
    this.tree = buildTree(parsed);
  }

  /** A store of a text split at its `sops:` line; undefined unless the rest is one document rooted in a block map. */
  static split(parsed: ParsedManifest, sops: Record<string, unknown>): TreeStore | undefined {
    const store = new TreeStore(parsed, sops);
    const [doc, ...more] = store.tree;
    return doc?.rootToken?.type === 'block-map' && !doc.sopsPair && more.length === 0 ? store : undefined;
  }

  get source(): string {
    return this.parsed.source;
  }

  isSealed(): boolean {
    return this.sops !== undefined || this.tree.some((d) => d.sopsPair);
  }

  metadata(): SopsMetadata {
    if (this.sops) return parseMetadata(this.sops, this.source);
    const withMeta = this.tree.find((d) => d.sopsPair);
    const doc = withMeta ? this.parsed.docs[withMeta.index] : undefined;
    if (!doc) throw new InputError(`failed to read ${this.source}: it is not sealed (no sops metadata)`, { hint: 'seal it first with `sealops seal`' });
    return parseMetadata((doc.toJS() as Record<string, unknown>).sops, this.source);
  }

  defaultRules(): SelectionRules {
    const anySecret = this.parsed.docs.some((d) => {
      if (!isMap(d.contents)) return false;
      const kind: unknown = d.contents.get('kind');
      if (kind === 'List') return ((d.toJS() as { items?: unknown[] }).items ?? []).some(isKubernetesSecret);
      return isKubernetesSecret({ kind, apiVersion: d.contents.get('apiVersion') });
    });
    return anySecret ? { encrypted_regex: SECRET_ENCRYPTED_REGEX } : SOPS_DEFAULT_RULES;
  }

  seal(dataKey: Uint8Array, select: Selector, opts: StoreWalkOptions): string {
    if (this.tree.every((d) => d.root === null)) throw new InputError(`failed to seal ${this.source}: it has no map to seal`);
    return sealTree(this.parsed, this.tree, dataKey, select, opts);
  }

  open(dataKey: Uint8Array, select: Selector, opts: OpenOptions): string {
    return openTree(this.parsed, this.tree, dataKey, select, opts);
  }

  problems(select: Selector): string[] {
    const out: string[] = [];
    for (const doc of this.tree) {
      if (doc.root && !doc.sopsPair && !this.sops) out.push(`document ${doc.index + 1} has no sops metadata`);
      // The rules come from unauthenticated metadata; a Secret's values must be sealed whatever
      // they say, or an edited encrypted_regex would pass plaintext as sealed.
      const secret = isKubernetesSecret({ kind: doc.root?.get('kind'), apiVersion: doc.root?.get('apiVersion') });
      for (const leaf of doc.leaves) {
        const mustSeal = select(leaf.path) || (secret && (leaf.path[0] === 'data' || leaf.path[0] === 'stringData'));
        const p = leafProblem(leaf.path, ` (line ${leaf.line})`, leaf.value, mustSeal);
        if (p) out.push(p);
      }
    }
    return out;
  }

  renderSealed(meta: SopsMetadata): string {
    removeMetadata(this.tree);
    return renderSealed(this.parsed, this.tree, meta);
  }

  renderPlain(): string {
    removeMetadata(this.tree);
    return renderPlain(this.parsed);
  }

  view(): { parsed: ParsedManifest; tree: TreeDocument[] } | undefined {
    return { parsed: this.parsed, tree: this.tree };
  }
}

class FlatStore implements SopsStore {
  constructor(
    private readonly file: FlatFile,
    readonly source: string,
  ) {}

  isSealed(): boolean {
    return this.file.rawMeta !== null;
  }

  metadata(): SopsMetadata {
    return flatMetadata(this.file, this.source);
  }

  defaultRules(): SelectionRules {
    return SOPS_DEFAULT_RULES;
  }

  seal(dataKey: Uint8Array, select: Selector, opts: StoreWalkOptions): string {
    return sealFlat(this.file, dataKey, select, opts.macOnlyEncrypted === true, this.source, opts.reuse);
  }

  open(dataKey: Uint8Array, select: Selector, opts: OpenOptions): string {
    return openFlat(this.file, dataKey, select, this.source, opts);
  }

  problems(select: Selector): string[] {
    const out: string[] = [];
    for (const l of this.file.lines) {
      if (l.kind !== 'kv' || l.isMeta) continue;
      const p = leafProblem(l.path, '', l.value, select(l.path));
      if (p) out.push(p);
    }
    return out;
  }

  renderSealed(meta: SopsMetadata): string {
    return renderFlat(this.file, meta);
  }

  renderPlain(): string {
    return renderFlat(this.file, null);
  }

  view(): undefined {
    return undefined;
  }
}

/** sops's binary store: the bytes are the `data` value of a JSON document. */
class BinaryStore extends TreeStore {
  override defaultRules(): SelectionRules {
    return SOPS_DEFAULT_RULES;
  }

  override renderPlain(): string {
    const data = (JSON.parse(super.renderPlain()) as { data?: unknown }).data;
    if (typeof data !== 'string') throw new InputError(`failed to read ${this.source}: a binary sops file needs a data value`);
    return data;
  }

  // Bytes, not a manifest: nothing to bind or to search.
  override view(): undefined {
    return undefined;
  }
}

/** How to read a text into a store. */
export interface LoadStoreOptions {
  format?: SopsFormat;
  /** What the input is called in messages (a path or `<stdin>`). */
  source?: string;
  maxBytes?: number;
  /** `plain` for text about to be sealed (a binary input is then wrapped), `sealed` otherwise. */
  phase: 'plain' | 'sealed';
}

/** Parses `text` into the store its format names (or its name and content suggest). */
export function loadStore(text: string, opts: LoadStoreOptions): SopsStore {
  const source = opts.source ?? '<input>';
  const format = opts.format ?? detectSopsFormat(opts.source, text);
  checkManifestSize(text, source, opts.maxBytes);
  switch (format) {
    case 'dotenv':
    case 'ini':
      return new FlatStore(parseFlat(text, format), source);
    case 'binary': {
      const json = opts.phase === 'plain' ? `${JSON.stringify({ data: text }, null, '\t')}\n` : text;
      // The size was checked on the bytes themselves; their JSON escaping may be longer.
      return new BinaryStore(parseManifest(json, { format: 'json', source, maxBytes: Number.MAX_SAFE_INTEGER }));
    }
    default:
      return (opts.phase === 'sealed' && format === 'yaml' && splitStore(text, source)) || new TreeStore(parseManifest(text, { format, source, maxBytes: opts.maxBytes }));
  }
}

/**
 * The store of a sealed YAML text read in two parts (sealed-yaml.ts), or undefined when the
 * text is not one the split reads: the whole text is then parsed, errors included.
 */
function splitStore(text: string, source: string): TreeStore | undefined {
  const split = splitSealedYaml(text);
  if (!split) return undefined;
  try {
    return TreeStore.split(parseManifest(split.body, { format: 'yaml', source }), split.sops);
  } catch (err) {
    if (err instanceof InputError) return undefined;
    throw err;
  }
}
