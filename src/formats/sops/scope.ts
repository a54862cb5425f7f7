/**
 * Scope binding for SOPS-sealed Secrets. The SOPS MAC hashes values in order, not key names,
 * so renaming `namespace:`, wrapping it under another key or swapping the names of `name:` and
 * `namespace:` leaves it valid. Sealing therefore writes the scope as an encrypted annotation,
 * `metadata.annotations["sealops.dev/scope"]` = `namespace/name`, and adds that key to
 * `encrypted_regex`: its AAD is its path (it cannot be moved or renamed) and the MAC covers it
 * (it cannot be deleted). Opening compares it with where the document actually stands.
 *
 * An empty part means "not fixed when sealed": `/db` is a Secret named `db` whose namespace the
 * overlay places, `team-a/` one whose name is placed. Files written by plain sops carry no
 * binding; they open, reported as unbound, and the agent accepts them only where a Sync allows.
 */
import { CST, isMap, type Node, type YAMLMap } from 'yaml';
import { decryptValue, isEncValue } from '../../crypto/index.js';
import { ScopeError } from '../../errors.js';
import { isKubernetesSecret, type ParsedManifest } from '../../manifest/index.js';
import { makeSelector, type SelectionRules } from './policy.js';
import type { TreeDocument } from './tree.js';
import { removeMetadataItems } from './cst-edit.js';
import type { SealingScope } from '../../crypto/rsa-oaep.js';

/** The annotation that carries a Secret's sealed scope. */
export const SCOPE_ANNOTATION = 'sealops.dev/scope';
const SCOPE_PATH = ['metadata', 'annotations', SCOPE_ANNOTATION] as const;
const SCOPE_AAD = `${SCOPE_PATH.join(':')}:`;
const SECRET_REGEX = '^(data|stringData)$';
/** `encrypted_regex` for Secrets sealed with a scope binding. */
export const SECRET_SCOPED_REGEX = '^(data|stringData|sealops\\.dev/scope)$';

/** Where one document stands, and (when bound) where it was sealed for. */
export interface DocumentScope {
  /** Index of the document in the file (empty documents included). */
  document: number;
  namespace: string;
  name: string;
  /** The decrypted binding; undefined for a Secret sealed without one (plain sops). */
  bound?: { namespace: string; name: string };
}

function isSecretRoot(root: YAMLMap | null): boolean {
  return isKubernetesSecret({ kind: root?.get('kind'), apiVersion: root?.get('apiVersion') });
}

function metadataMap(root: YAMLMap | null): YAMLMap | undefined {
  const m = root?.get('metadata', true) as unknown;
  return isMap(m) ? m : undefined;
}

function textOf(map: YAMLMap | undefined, key: string): string {
  const v: unknown = map?.get(key);
  return typeof v === 'string' ? v : '';
}

/** Whether a leaf path is the scope binding (`metadata.annotations[sealops.dev/scope]`). */
export function isScopeLeaf(path: readonly string[]): boolean {
  return path.length === 3 && path[0] === SCOPE_PATH[0] && path[1] === SCOPE_PATH[1] && path[2] === SCOPE_PATH[2];
}

/** `rules` with the scope annotation added to `encrypted_regex` (other rules already encrypt it). */
export function withScopeRule(rules: SelectionRules): SelectionRules {
  const re = rules.encrypted_regex;
  if (re === undefined || re === '') return rules;
  if (re === SECRET_REGEX) return { ...rules, encrypted_regex: SECRET_SCOPED_REGEX };
  if (makeSelector(rules)([...SCOPE_PATH])) return rules;
  return { ...rules, encrypted_regex: `(?:${re})|^sealops\\.dev/scope$` };
}

/** The binding text for a Secret standing at `s`, sealed in `mode` (as SealedSecret scopes). */
function scopeText(s: { namespace: string; name: string }, mode: SealingScope): string {
  if (mode === 'cluster-wide') return '/';
  if (mode === 'namespace-wide') return `${s.namespace}/`;
  return `${s.namespace}/${s.name}`;
}

/** `namespace/name`, either part empty; without a slash, a name. */
export function parseScope(plain: string): { namespace: string; name: string } {
  const slash = plain.indexOf('/');
  return slash < 0 ? { namespace: '', name: plain } : { namespace: plain.slice(0, slash), name: plain.slice(slash + 1) };
}

/** True when a document standing at `s` satisfies `bound` (an empty bound part accepts anything, never the reverse). */
function agrees(bound: { namespace: string; name: string }, s: { namespace: string; name: string }): boolean {
  return (bound.namespace === '' || bound.namespace === s.namespace) && (bound.name === '' || bound.name === s.name);
}

/** The mode a file's bindings were sealed in, so a re-seal after an edit keeps it. */
export function scopeModeOf(scopes: readonly DocumentScope[]): SealingScope | undefined {
  const bound = scopes.find((s) => s.bound)?.bound;
  if (!bound) return undefined;
  if (bound.namespace === '' && bound.name === '') return 'cluster-wide';
  return bound.name === '' ? 'namespace-wide' : 'strict';
}

function columnOf(text: string, offset: number): number {
  return offset - (text.lastIndexOf('\n', offset - 1) + 1);
}

const quoted = (s: string): string => JSON.stringify(s);

/**
 * The text of `parsed` with a scope annotation on every top-level Secret, written in place so
 * every other byte stays. An existing annotation that agrees with the metadata is kept (unless
 * `force`: an explicit `--scope`); one that does not gets the scope of `opts.scope`. With `add: false`
 * only existing bindings are refreshed. Returns undefined when nothing is to be bound (no
 * Secret, or rules that would leave the annotation in clear).
 */
export function bindScopeText(parsed: ParsedManifest, tree: readonly TreeDocument[], rules: SelectionRules, opts: { add?: boolean; scope?: SealingScope; force?: boolean } = {}): string | undefined {
  if (!makeSelector(rules)([...SCOPE_PATH])) return undefined;
  const { text, eol } = parsed;
  const inserts: { at: number; text: string }[] = [];
  let changed = false;
  for (const doc of tree) {
    if (!isSecretRoot(doc.root)) continue;
    const meta = metadataMap(doc.root);
    if (!meta?.range) continue;
    const stands = { namespace: textOf(meta, 'namespace'), name: textOf(meta, 'name') };
    const scope = scopeText(stands, opts.scope ?? 'strict');
    const existing = doc.leaves.find((l) => isScopeLeaf(l.path));
    if (existing) {
      // A binding written by hand (or kept through an edit) that agrees with the metadata stays as written.
      if (typeof existing.value === 'string' && (opts.force ? existing.value === scope : agrees(parseScope(existing.value), stands))) continue;
      CST.setScalarValue(existing.token, scope, { type: 'QUOTE_DOUBLE' });
      changed = true;
      continue;
    }
    if (opts.add === false) continue;
    const ann = meta.get('annotations', true) as Node | undefined;
    const flowOf = (n: Node): boolean => (n as { srcToken?: CST.Token }).srcToken?.type === 'flow-collection';
    if (ann !== undefined && !(isMap(ann) && ann.range)) continue; // `annotations:` without a map: left unbound
    const target = isMap(ann) ? ann : meta;
    const [start] = target.range ?? [0];
    const entry = `${quoted(SCOPE_ANNOTATION)}: ${quoted(scope)}`;
    if (flowOf(target) || parsed.format === 'json') {
      const body = isMap(ann) ? entry : `"annotations": {${entry}}`;
      inserts.push({ at: start + 1, text: body + (target.items.length > 0 ? ', ' : '') });
    } else {
      const col = columnOf(text, start);
      const pad = ' '.repeat(col);
      const body = isMap(ann) ? `${SCOPE_ANNOTATION}: ${quoted(scope)}` : `annotations:${eol}${pad}  ${SCOPE_ANNOTATION}: ${quoted(scope)}`;
      inserts.push({ at: start, text: `${body}${eol}${pad}` });
    }
  }
  if (inserts.length === 0 && !changed) return undefined;
  let out = changed ? parsed.tokens.map((t) => CST.stringify(t)).join('') : text;
  if (changed && inserts.length > 0) return out; // the caller parses again and binds the rest
  for (const ins of inserts.sort((a, b) => b.at - a.at)) out = out.slice(0, ins.at) + ins.text + out.slice(ins.at);
  return out;
}

/**
 * The scope of every Secret document, and of any document that carries a binding, with the
 * binding decrypted under `dataKey` (AES-GCM under its path as AAD authenticates it on its
 * own; the MAC, checked afterwards, proves it was not deleted). {@link checkScopes} then
 * refuses a mismatch.
 */
export function readScopes(tree: readonly TreeDocument[], dataKey: Uint8Array, source: string): DocumentScope[] {
  const out: DocumentScope[] = [];
  for (const doc of tree) {
    const leaf = doc.leaves.find((l) => isScopeLeaf(l.path));
    const sealed = leaf !== undefined && typeof leaf.value === 'string' && isEncValue(leaf.value);
    if (!sealed && !isSecretRoot(doc.root)) continue;
    const meta = metadataMap(doc.root);
    const scope: DocumentScope = { document: doc.index, namespace: textOf(meta, 'namespace'), name: textOf(meta, 'name') };
    if (sealed) {
      const plain = decryptValue(dataKey, leaf.value as string, SCOPE_AAD, `${source}: ${SCOPE_PATH.join('.')}`).plaintext.toString('utf8');
      scope.bound = parseScope(plain);
    }
    out.push(scope);
  }
  return out;
}

/**
 * True when a fresh seal would leave every binding of `tree` as it is: each Secret document
 * is bound, and each binding reads what sealing in the file's mode ({@link scopeModeOf}) writes.
 */
export function bindingsSettled(tree: readonly TreeDocument[], scopes: readonly DocumentScope[]): boolean {
  const mode = scopeModeOf(scopes);
  for (const doc of tree) {
    const scope = scopes.find((s) => s.document === doc.index);
    if (!scope?.bound) {
      if (isSecretRoot(doc.root)) return false;
      continue;
    }
    if (!mode || !isCanonicalBinding(scope, mode)) return false;
  }
  return true;
}

/** True when a document's binding reads exactly what sealing it in `mode` writes. */
export function isCanonicalBinding(scope: DocumentScope, mode: SealingScope): boolean {
  return scope.bound !== undefined && `${scope.bound.namespace}/${scope.bound.name}` === scopeText(scope, mode);
}

/** Human form of a scope: `namespace/name`, `*` for a part the overlay places. */
export function formatScope(s: { namespace: string; name: string }): string {
  return `${s.namespace || '*'}/${s.name || '*'}`;
}

/**
 * Throws ScopeError when a bound document stands in another namespace or under another name
 * than its binding says. An empty bound part accepts any value; a bound part never accepts an
 * empty actual one (renaming or wrapping `namespace:` away is exactly the attack).
 */
export function checkScopes(scopes: readonly DocumentScope[], source: string, where = 'in the file'): void {
  for (const s of scopes) {
    if (!s.bound) continue;
    if (!agrees(s.bound, s)) {
      throw new ScopeError(
        `failed to open ${source}: document ${s.document + 1} is sealed for ${formatScope(s.bound)} but stands as ${formatScope(s)} ${where}`,
        { hint: 'a sealed Secret opens only where it was sealed for; seal it again for the new namespace or name' },
      );
    }
  }
}

/**
 * Removes the scope annotation from the CST of every document (unsealing gives back the text
 * that was sealed), and the `annotations` map too when that leaves it empty (sealing created it
 * for the binding; a user's own empty `annotations: {}` goes with it: the one restyle).
 */
export function stripScopes(tree: readonly TreeDocument[]): void {
  for (const doc of tree) {
    if (doc.leaves.some((l) => isScopeLeaf(l.path))) removeMetadataItems(doc.rootToken, 'annotations', (key) => key === SCOPE_ANNOTATION);
  }
}
