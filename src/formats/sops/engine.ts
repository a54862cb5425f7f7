/**
 * The SOPS engine: seal, unseal, decrypt to documents, rekey, rotate and verify whole files of
 * any store (see store.ts): each operation has one body. Everything here is pure (text in,
 * text out); reading key files and config is the caller's job.
 */
import { parseAllDocuments, isMap } from 'yaml';
import { ageRecipientKind, encryptValue, generateDataKey, unwrapDataKey } from '../../crypto/index.js';
import { InputError, describe } from '../../errors.js';
import { checkManifestSize, checkSealedSize, LINEAR_COMPOSE_OPTIONS } from '../../manifest/index.js';
import { verifyMac } from './mac.js';
import { metadataRecipients, parseMetadata, rulesOf, type SopsAgeEntry, type SopsMetadata } from './metadata.js';
import { rekeyByLines, rotateByLines } from './rewrap-lines.js';
import { splitSealedYaml } from './sealed-yaml.js';
import { makeSelector, type SelectionRules } from './policy.js';
import { detectSopsFormat, loadStore, wellFormed, type SopsFormat, type SopsStore } from './store.js';
import { ReuseIndex, type ResealValue } from './yaml-store.js';
import { freshMetadata, keepGroups, openDataKey, planOf, rewrappedMetadata, type KeyPlan } from './wrap.js';
import { addForms, clearValueProblems, stripLeftovers } from './leftovers.js';
import { bindingsSettled, bindScopeText, checkScopes, readScopes, scopeModeOf, stripScopes, withScopeRule, type DocumentScope } from './scope.js';
import type { SealingScope } from '../../crypto/rsa-oaep.js';

export { detectSopsFormat, SECRET_ENCRYPTED_REGEX, type SopsFormat } from './store.js';

/** Common options: how the input is named in messages and how it is parsed. */
export interface SopsTextOptions {
  format?: SopsFormat;
  /** What the input is called in messages (a path or `<stdin>`). */
  source?: string;
  maxBytes?: number;
}

/** What a previous sealing leaves behind for re-sealing with the same data key. */
export interface SealContext {
  dataKey: Uint8Array;
  reuse: ReuseIndex;
  metadata: SopsMetadata;
  /** The file carried scope bindings (unsealing strips them; re-sealing writes them again). */
  bound?: boolean;
  /** The mode those bindings were sealed in (kept by the re-seal). */
  scope?: SealingScope;
}

/** Options of {@link sealSops}. */
export interface SealSopsOptions extends SopsTextOptions, KeyPlan {
  /**
   * age recipients (`age1…`), or `keyGroups` with `shamirThreshold` (a `.sops.yaml` creation
   * rule's key groups); required unless `context` supplies the wrapped keys.
   */
  recipients?: string[];
  /** Selection rules; by default Secrets get {@link SECRET_ENCRYPTED_REGEX}, other files sops's default. */
  rules?: SelectionRules;
  /** Re-seal with a previous data key, keeping the envelopes of unchanged values. */
  context?: SealContext;
  /**
   * How a Secret is bound, as SealedSecret scopes: `strict` (default) binds `namespace/name`,
   * `namespace-wide` `namespace/` (an overlay may rename it), `cluster-wide` `/` (the overlay
   * places it). A re-seal with `context` keeps the file's mode unless this is given.
   */
  scope?: SealingScope;
  now?: Date;
}


/**
 * Seals a plaintext manifest. Only the selected values change (each becomes an `ENC[…]`
 * envelope in the same style), then a `sops` block is appended to every document.
 */
export async function sealSops(text: string, opts: SealSopsOptions): Promise<string> {
  let store = loadStore(text, { ...opts, phase: 'plain' });
  if (store.isSealed()) {
    throw new InputError(`failed to seal ${store.source}: it is already sealed (it has sops metadata)`, {
      hint: 'use `sealops edit` to change it, `sealops rekey` to change recipients',
    });
  }
  const ctx = opts.context;
  const base = opts.rules ?? (ctx ? rulesOf(ctx.metadata) : store.defaultRules());
  // A re-seal after an edit keeps the file's own rules and binds only what was bound (an edited
  // namespace moves its binding along): a file sops wrote stays as sops would write it, with
  // no churn when a team switches tools; a fresh seal or a rotation binds it.
  const rules = ctx ? base : withScopeRule(base);
  const plain = store.view();
  const cleaned = plain && stripLeftovers(plain.parsed, plain.tree);
  if (cleaned !== undefined) store = loadStore(cleaned, { ...opts, phase: 'plain' });
  // Twice at most: once to refresh existing bindings, once to add the missing ones.
  for (let pass = 0; pass < 2; pass++) {
    const view = store.view();
    const bound = view && bindScopeText(view.parsed, view.tree, rules, { add: !ctx || ctx.bound === true, scope: opts.scope ?? ctx?.scope, force: opts.scope !== undefined });
    if (bound === undefined) break;
    store = loadStore(bound, { ...opts, phase: 'plain' });
  }
  const dataKey = ctx?.dataKey ?? generateDataKey();
  const digest = store.seal(dataKey, makeSelector(rules), { macOnlyEncrypted: rules.mac_only_encrypted, reuse: ctx?.reuse });
  const sealed = store.renderSealed(await sealedMetadata(dataKey, digest, rules, opts));
  checkSealedSize(sealed, store.source, opts.maxBytes);
  return sealed;
}

/** What a freshly sealed file records: its rules, wrapped keys, a new MAC and `lastmodified`. */
async function sealedMetadata(dataKey: Uint8Array, digest: string, rules: SelectionRules, opts: SealSopsOptions): Promise<SopsMetadata> {
  const ctx = opts.context;
  const plan: KeyPlan = opts.keyGroups ? { keyGroups: opts.keyGroups, shamirThreshold: opts.shamirThreshold, recipients: opts.recipients } : opts.recipients ? { recipients: opts.recipients } : ctx ? planOf(ctx.metadata) : {};
  return freshMetadata(dataKey, digest, rules, plan, opts.now, ctx?.metadata);
}

/** An opened file: its store (values decrypted in place when asked), metadata and data key. */
interface Opened {
  store: SopsStore;
  meta: SopsMetadata;
  dataKey: Uint8Array;
  reuse: ReuseIndex;
  scopes: DocumentScope[];
  /** Every decrypted value in the forms it could show in clear (for {@link clearValueProblems}). */
  values: Set<string>;
  /** The MAC digest of the plaintext (checked against the file's MAC). */
  digest: string;
}

/**
 * Reads the metadata of a sealed file; InputError when it carries none. The rest of a YAML file
 * whose block reads on its own (sealed-yaml.ts) is not parsed: this answers which keys open a
 * file, and a rerun of `rekey --all` asks it of every file.
 */
export function readSopsMetadata(text: string, opts: SopsTextOptions = {}): SopsMetadata {
  const source = opts.source ?? '<input>';
  const split = isYaml(text, opts) ? splitSealedYaml(text) : undefined;
  if (!split) return loadStore(text, { ...opts, phase: 'sealed' }).metadata();
  checkManifestSize(text, source, opts.maxBytes);
  return parseMetadata(split.sops, source);
}

/**
 * Opens a sealed text: the data key, the scopes, every value authenticated and the MAC checked.
 * `write` puts the plaintext in place (for an edit, which also gets the envelopes to reuse);
 * `reseal`, new envelopes (for a rotation).
 */
async function open(text: string, identities: readonly string[], opts: SopsTextOptions, write: boolean, reseal?: ResealValue): Promise<Opened> {
  const store = loadStore(text, { ...opts, phase: 'sealed' });
  const meta = store.metadata();
  const dataKey = await openDataKey(meta, identities, store.source);
  const reuse = new ReuseIndex();
  const values = new Set<string>();
  const view = store.view();
  const scopes = view ? readScopes(view.tree, dataKey, store.source) : [];
  checkScopes(scopes, store.source);
  const digest = store.open(dataKey, makeSelector(meta), {
    macOnlyEncrypted: meta.mac_only_encrypted,
    write,
    ...(reseal ? { reseal } : {}),
    onValue: (aad, type, plaintext, enc) => {
      if (write) reuse.add(aad, type, plaintext, enc);
      if (type !== 'comment' && !aad.startsWith('metadata:')) addForms(plaintext.toString('utf8'), aad.startsWith('data:'), values);
    },
    ...(write ? { onStyle: (aad: string, plain: boolean) => reuse.addStyle(aad, plain) } : {}),
  });
  verifyMac(dataKey, meta.mac, meta.lastmodified, digest, store.source);
  return { store, meta, dataKey, reuse, scopes, values, digest };
}

/** Whether `text` is read by the YAML store (where the by-lines reader may take it). */
function isYaml(text: string, opts: SopsTextOptions): boolean {
  return (opts.format ?? detectSopsFormat(opts.source, text)) === 'yaml';
}

/** Options of the functions that need keys. */
export interface OpenSopsOptions extends SopsTextOptions {
  /** age identities (`AGE-SECRET-KEY-1…`). */
  identities: string[];
}

/**
 * Unseals a SOPS file to its plaintext text: every value decrypted and authenticated, the MAC
 * verified, the `sops` blocks removed; every other byte as it was.
 */
export async function unsealSops(text: string, opts: OpenSopsOptions): Promise<string> {
  return (await unsealSopsForEdit(text, opts)).plaintext;
}

/** Unseals and also returns what re-sealing needs to keep unchanged envelopes ({@link sealSops} `context`). */
export async function unsealSopsForEdit(text: string, opts: OpenSopsOptions): Promise<{ plaintext: string; context: SealContext; scopes?: DocumentScope[] }> {
  return openPlain(text, opts, true);
}

/** Opens `text` for its plaintext; `strip` drops the scope bindings from it (they are returned as `scopes` either way). */
async function openPlain(text: string, opts: OpenSopsOptions, strip: boolean): Promise<{ plaintext: string; context: SealContext; scopes: DocumentScope[] }> {
  const o = await open(text, opts.identities, opts, true);
  const view = o.store.view();
  if (view && strip) stripScopes(view.tree);
  const bound = o.scopes.some((s) => s.bound);
  const scope = scopeModeOf(o.scopes);
  return { plaintext: o.store.renderPlain(), context: { dataKey: o.dataKey, reuse: o.reuse, metadata: o.meta, ...(bound ? { bound } : {}), ...(scope ? { scope } : {}) }, scopes: o.scopes };
}

/**
 * Decrypts a whole SOPS file (MAC always verified) into plain JavaScript documents without the
 * `sops` key. Empty documents are dropped. A bound Secret keeps its `sealops.dev/scope`
 * annotation, decrypted, so a caller that moves documents (the agent, after kustomize) can
 * check the final object against it.
 */
export async function decryptSopsDocuments(
  text: string,
  opts: { identities: string[]; format?: 'yaml' | 'json'; source?: string },
): Promise<unknown[]> {
  return (await openSopsDocuments(text, opts)).documents;
}

/**
 * {@link decryptSopsDocuments} with the scope of each returned document (same index): the
 * binding it was sealed with, or none (`bound` undefined: sealed by plain sops), so a caller
 * that moves documents (kustomize) can check the final object against it.
 */
export async function openSopsDocuments(
  text: string,
  opts: { identities: string[]; format?: 'yaml' | 'json'; source?: string },
): Promise<{ documents: unknown[]; scopes: (DocumentScope | undefined)[] }> {
  const { plaintext, scopes } = await openPlain(text, opts, false);
  const documents: unknown[] = [];
  const aligned: (DocumentScope | undefined)[] = [];
  // Aliases were refused while unsealing, so none can expand here.
  parseAllDocuments(plaintext, { logLevel: 'error', ...LINEAR_COMPOSE_OPTIONS }).forEach((d, i) => {
    const value = d.toJS({ maxAliasCount: 0 }) as unknown;
    if (value === null || value === undefined) return;
    documents.push(value);
    aligned.push(scopes.find((s) => s.document === i));
  });
  return { documents, scopes: aligned };
}

/** True when a parsed document carries a `sops` metadata block. */
export function isSopsEncrypted(doc: unknown): boolean {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  if (isMap(doc)) return doc.has('sops');
  const sops = (doc as Record<string, unknown>).sops;
  return sops !== null && typeof sops === 'object' && ('mac' in sops || 'lastmodified' in sops);
}

/**
 * Re-wraps the data key for `recipients` (the MAC is checked first; values, `mac` and
 * `lastmodified` stay as they are). Entries of recipients that stay are kept byte for byte.
 */
export async function rekeySops(text: string, opts: OpenSopsOptions & KeyPlan): Promise<string> {
  const byLines = isYaml(text, opts) ? await rekeyByLines(text, opts) : undefined;
  if (byLines !== undefined) return byLines;
  const o = await open(text, opts.identities, opts, false);
  return o.store.renderSealed(await rewrappedMetadata(o.meta, o.dataKey, opts, o.store.source));
}

/** A new data key: every value re-encrypted, for the given recipients or the file's current ones. */
export async function rotateSops(text: string, opts: OpenSopsOptions & KeyPlan & { now?: Date }): Promise<string> {
  const inPlace = (isYaml(text, opts) ? await rotateByLines(text, opts) : undefined) ?? (await rotateInPlace(text, opts));
  if (inPlace !== undefined) return inPlace;
  const { plaintext, context } = await unsealSopsForEdit(text, opts);
  const plan = keepGroups(context.metadata, opts, opts.source ?? '<input>');
  // A fresh seal (it binds a plain-sops file), in the mode the file was bound in.
  return sealSops(plaintext, { ...opts, ...plan, rules: rulesOf(context.metadata), context: undefined, ...(context.scope ? { scope: context.scope } : {}) });
}

/**
 * Rotates a file sealed as a fresh seal would leave it: each envelope is re-encrypted in place
 * under a new data key while the file is opened, so the file is parsed once and every other
 * byte stays. Undefined when a fresh seal would change more (bind a Secret sealed by plain sops,
 * normalise a binding, drop a leftover in clear): the caller then unseals and seals again.
 */
async function rotateInPlace(text: string, opts: OpenSopsOptions & KeyPlan & { now?: Date }): Promise<string | undefined> {
  const dataKey = generateDataKey();
  const o = await open(text, opts.identities, opts, false, (aad, type, plaintext) => encryptValue(dataKey, plaintext, aad, type));
  const rules = rulesOf(o.meta);
  const view = o.store.view();
  if (withScopeRule(rules) !== rules) return undefined;
  if (view && (!bindingsSettled(view.tree, o.scopes) || clearValueProblems(view.parsed, view.tree, makeSelector(o.meta), [...o.values]).length > 0)) return undefined;
  const sealed = o.store.renderSealed(await freshMetadata(dataKey, o.digest, rules, keepGroups(o.meta, opts, o.store.source), opts.now));
  checkSealedSize(sealed, o.store.source, opts.maxBytes);
  return sealed;
}

/** Result of {@link verifySops}: ok, or the problems found (names and paths only, never values). */
export interface SopsVerifyResult {
  ok: boolean;
  problems: string[];
  recipients: string[];
  /** With keys: Secrets that carry no scope binding (sealed by plain sops), by `namespace/name`. */
  unbound?: string[];
}

/**
 * Checks a file is sealed (metadata in every document, every selected value an envelope), that
 * its recipients are exactly `recipients` when given, and with `identities` that every value
 * authenticates and the MAC matches.
 */
export async function verifySops(text: string, opts: SopsTextOptions & { identities?: string[]; recipients?: string[] }): Promise<SopsVerifyResult> {
  let meta: SopsMetadata;
  const problems: string[] = [];
  try {
    const store = loadStore(text, { ...opts, phase: 'sealed' });
    meta = store.metadata();
    problems.push(...store.problems(makeSelector(meta)));
    // Without keys the values are unknown, but a last-applied annotation shows them all.
    const view = store.view();
    if (view) problems.push(...clearValueProblems(view.parsed, view.tree, makeSelector(meta), []));
  } catch (err) {
    return { ok: false, problems: [describe(err)], recipients: [] };
  }
  // Without keys nothing opens, but an envelope nobody could open (cut by a merge, edited by
  // hand) is still seen here, so a keyless check in CI does not pass what the cluster refuses.
  if (!wellFormed(meta.mac)) problems.push('sops.mac is not a well-formed encrypted value');
  for (const e of meta.keyGroups?.flat() ?? meta.age) {
    if (!(await unwrapDataKey(e.enc, []).then(() => true, () => false))) problems.push(`the data key wrapped for ${e.recipient.slice(0, 80)} is not a well-formed age file`);
  }
  const recipients = metadataRecipients(meta);
  if (opts.recipients) {
    // An identity among the expected recipients is refused before any message could quote it.
    for (const r of opts.recipients) if (/^\s*AGE-SECRET-KEY-/i.test(r)) ageRecipientKind(r);
    const want = new Set(opts.recipients);
    const have = new Set(recipients);
    for (const r of want) if (!have.has(r)) problems.push(`not sealed for recipient ${r}`);
    for (const r of have) if (!want.has(r)) problems.push(`sealed for unexpected recipient ${r}`);
  }
  let unbound: string[] | undefined;
  if (opts.identities && problems.length === 0) {
    try {
      // Opened without writing plaintext: a value that is not UTF-8 is intact, just not printable.
      const o = await open(text, opts.identities, opts, false);
      const view = o.store.view();
      if (view) problems.push(...clearValueProblems(view.parsed, view.tree, makeSelector(o.meta), [...o.values]));
      unbound = o.scopes.filter((sc) => !sc.bound).map((sc) => `${sc.namespace}/${sc.name}`);
    } catch (err) {
      problems.push(describe(err).split('\n')[0] ?? 'failed to open');
    }
  }
  return { ok: problems.length === 0, problems, recipients, ...(unbound && unbound.length > 0 ? { unbound } : {}) };
}

/** Re-export for callers building age entries. */
export type { SopsAgeEntry };
