/**
 * Rekeying and rotating a sealed Kubernetes Secret of the usual shape without the YAML parser:
 * the file read by lines (sealed-yaml.ts), every value authenticated and the MAC checked as the
 * engine does, and the result written by splicing text. Half of a bulk run's time was the YAML
 * parser; a repository of Secrets is almost all files of this shape.
 *
 * Every function here returns undefined instead of failing: for a file outside the grammar, and
 * for any error (a wrong key, a bad MAC, a scope mismatch), the engine then does the whole work
 * on the parsed file, so messages, and what is refused, stay the engine's. Nothing read here is
 * trusted further than that: the body is written back byte for byte (rekey), or with each
 * envelope replaced by one under the same path (rotate), and only after the MAC verified.
 */
import { decryptValue, encryptValue, generateDataKey, isEncValue, type SopsValueType } from '../../crypto/index.js';
import { SealopsError } from '../../errors.js';
import { checkSealedSize, isKubernetesSecret } from '../../manifest/index.js';
import { addForms } from './leftovers.js';
import { MacBuilder, verifyMac } from './mac.js';
import { parseMetadata, renderMetadataYaml, rulesOf, type SopsMetadata } from './metadata.js';
import { makeSelector, pathAad } from './policy.js';
import { checkScopes, isCanonicalBinding, isScopeLeaf, parseScope, scopeModeOf, withScopeRule, type DocumentScope } from './scope.js';
import { readSealedBody, splitSealedYaml, type BodyLeaf } from './sealed-yaml.js';
import { leafToPlain } from './values.js';
import { canonicalBytes } from './yaml-store.js';
import { freshMetadata, keepGroups, openDataKey, rewrappedMetadata, type KeyPlan } from './wrap.js';

/** What rekey and rotate by lines are given: the file's text and source, identities and the target plan. */
export interface RewrapByLines extends KeyPlan {
  readonly identities: string[];
  readonly source?: string;
  readonly now?: Date;
}

/** A file opened by lines: metadata, data key, MAC digest, bindings and every decrypted value. */
interface OpenedLines {
  body: string;
  meta: SopsMetadata;
  dataKey: Uint8Array;
  digest: string;
  scopes: DocumentScope[];
  /** Each sealed leaf with its plaintext and type (for a rotation). */
  sealed: { leaf: BodyLeaf; aad: string; plaintext: Buffer; type: SopsValueType }[];
  indentUnit: string;
}

const leafAt = (leaves: readonly BodyLeaf[], ...path: string[]): BodyLeaf | undefined => leaves.find((l) => l.path.length === path.length && l.path.every((p, i) => p === path[i]));

async function openLines(text: string, opts: RewrapByLines): Promise<OpenedLines | undefined> {
  const split = splitSealedYaml(text);
  const read = split && readSealedBody(split.body);
  if (!split || !read) return undefined;
  const source = opts.source ?? '<input>';
  const meta = parseMetadata(split.sops, source);
  const select = makeSelector(meta);
  const dataKey = await openDataKey(meta, opts.identities, source);
  const mac = new MacBuilder(meta.mac_only_encrypted === true);
  const sealed: OpenedLines['sealed'] = [];
  for (const leaf of read.leaves) {
    if (!select(leaf.path)) {
      // Strings and booleans only (the reader refuses the rest), hashed as the tree hashes them.
      if (!meta.mac_only_encrypted) mac.add(leafToPlain(leaf.value)!.bytes);
      continue;
    }
    if (leaf.value === '') continue;
    if (typeof leaf.value !== 'string' || !isEncValue(leaf.value)) return undefined;
    const aad = pathAad(leaf.path);
    const { plaintext, type } = decryptValue(dataKey, leaf.value, aad, source);
    if (type === 'comment') return undefined;
    mac.add(canonicalBytes(plaintext, type));
    sealed.push({ leaf, aad, plaintext, type });
  }
  const digest = mac.digest();
  verifyMac(dataKey, meta.mac, meta.lastmodified, digest, source);
  // The binding of a Secret, read as readScopes reads it from the tree.
  const leaves = read.leaves;
  const scopeLeaf = sealed.find((s) => isScopeLeaf(s.leaf.path));
  const scopes: DocumentScope[] = [];
  if (scopeLeaf || isKubernetesSecret({ kind: leafAt(leaves, 'kind')?.value, apiVersion: leafAt(leaves, 'apiVersion')?.value })) {
    const text = (k: string): string => {
      const v = leafAt(leaves, 'metadata', k)?.value;
      return typeof v === 'string' ? v : '';
    };
    scopes.push({ document: 0, namespace: text('namespace'), name: text('name'), ...(scopeLeaf ? { bound: parseScope(scopeLeaf.plaintext.toString('utf8')) } : {}) });
  }
  checkScopes(scopes, source);
  return { body: split.body, meta, dataKey, digest, scopes, sealed, indentUnit: read.indentUnit };
}

/** Runs `work`; undefined for any sealops error, which the engine then reports on the parsed file. */
async function orUndefined(work: () => Promise<string | undefined>): Promise<string | undefined> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof SealopsError) return undefined;
    throw err;
  }
}

/** {@link rekeySops} by lines: the data key re-wrapped for the plan, the body byte for byte. */
export function rekeyByLines(text: string, opts: RewrapByLines): Promise<string | undefined> {
  return orUndefined(async () => {
    const o = await openLines(text, opts);
    if (!o) return undefined;
    return o.body + renderMetadataYaml(await rewrappedMetadata(o.meta, o.dataKey, opts, opts.source ?? '<input>'), o.indentUnit, '\n');
  });
}

/**
 * {@link rotateSops} by lines, for a file a fresh seal would leave as it is but for the
 * envelopes (bound in its mode, no value in clear); undefined otherwise.
 */
export function rotateByLines(text: string, opts: RewrapByLines): Promise<string | undefined> {
  return orUndefined(async () => {
    const o = await openLines(text, opts);
    if (!o) return undefined;
    const rules = rulesOf(o.meta);
    const mode = scopeModeOf(o.scopes);
    if (withScopeRule(rules) !== rules || !o.scopes.every((s) => s.bound && mode && isCanonicalBinding(s, mode))) return undefined;
    // A value readable outside its envelope (an annotation, a label, last-applied): a fresh seal drops it.
    let clear = o.body;
    for (const s of [...o.sealed].reverse()) clear = clear.slice(0, s.leaf.start) + clear.slice(s.leaf.end);
    const forms = new Set<string>();
    for (const s of o.sealed) if (!s.aad.startsWith('metadata:')) addForms(s.plaintext.toString('utf8'), s.aad.startsWith('data:'), forms);
    if (clear.includes('last-applied-configuration') || [...forms].some((f) => clear.includes(f))) return undefined;
    const dataKey = generateDataKey();
    let body = '';
    let at = 0;
    for (const s of o.sealed) {
      const enc = encryptValue(dataKey, s.plaintext, s.aad, s.type);
      const quote = o.body[s.leaf.start] === '"' || o.body[s.leaf.start] === "'" ? o.body[s.leaf.start] : '';
      body += o.body.slice(at, s.leaf.start) + quote + enc + quote;
      at = s.leaf.end;
    }
    body += o.body.slice(at);
    const meta = await freshMetadata(dataKey, o.digest, rules, keepGroups(o.meta, opts, opts.source ?? '<input>'), opts.now);
    const sealed = body + renderMetadataYaml(meta, o.indentUnit, '\n');
    checkSealedSize(sealed, opts.source ?? '<input>');
    return sealed;
  });
}
