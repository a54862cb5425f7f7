/**
 * Plaintext that sealing a Secret must not leave behind, and that verifying must not pass: the
 * `last-applied-configuration` annotation (`kubectl get -o yaml` exports it with the whole
 * Secret in it), and any annotation, label, comment or other readable field holding one of the
 * Secret's values.
 */
import { CST } from 'yaml';
import { isKubernetesSecret, LAST_APPLIED_ANNOTATIONS, lastAppliedHoldsValues, type ParsedManifest } from '../../manifest/index.js';
import { removeMetadataItems } from './cst-edit.js';
import type { Selector } from './policy.js';
import type { TreeDocument } from './tree.js';

/** Values shorter than this are too common (`true`, `app`) to be told apart from ordinary text. */
const MIN_VALUE_LENGTH = 4;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function isSecretDoc(doc: TreeDocument): boolean {
  return isKubernetesSecret({ kind: doc.root?.get('kind'), apiVersion: doc.root?.get('apiVersion') });
}

/** The values of a Secret document as they could appear in clear: as written, and decoded from base64. */
function secretValueForms(doc: TreeDocument): string[] {
  const out = new Set<string>();
  for (const leaf of doc.leaves) {
    if (typeof leaf.value !== 'string' || (leaf.path[0] !== 'data' && leaf.path[0] !== 'stringData')) continue;
    addForms(leaf.value, leaf.path[0] === 'data', out);
  }
  return [...out];
}

/** Adds `value` (and its decoded text when `base64`) to `out` when long enough to look for. */
export function addForms(value: string, base64: boolean, out: Set<string>): void {
  if (value.length >= MIN_VALUE_LENGTH) out.add(value);
  const compact = value.replace(/\s+/g, '');
  if (base64 && BASE64.test(compact)) {
    const decoded = Buffer.from(compact, 'base64').toString('utf8');
    if (decoded.length >= MIN_VALUE_LENGTH && !decoded.includes('\uFFFD')) out.add(decoded);
  }
}

function itemText(item: CST.CollectionItem): string {
  return item.value && CST.isScalar(item.value) ? CST.resolveAsScalar(item.value).value : '';
}

/**
 * Removes, in the CST, the last-applied annotations of every Secret document and every
 * annotation or label whose value holds one of the Secret's values. Returns the new text, or
 * undefined when nothing had to go.
 */
export function stripLeftovers(parsed: ParsedManifest, tree: readonly TreeDocument[]): string | undefined {
  let removed = 0;
  for (const doc of tree) {
    if (!isSecretDoc(doc) || !doc.rootToken) continue;
    const values = secretValueForms(doc);
    const leaks = (item: CST.CollectionItem): boolean => {
      const text = itemText(item);
      return values.some((v) => text.includes(v));
    };
    removed += removeMetadataItems(doc.rootToken, 'annotations', (key, item) => LAST_APPLIED_ANNOTATIONS.includes(key) || leaks(item));
    removed += removeMetadataItems(doc.rootToken, 'labels', (_key, item) => leaks(item));
  }
  return removed > 0 ? parsed.tokens.map((t) => CST.stringify(t)).join('') : undefined;
}

/**
 * Where a sealed file shows a value in clear: every readable leaf and unencrypted comment is
 * searched for each of `values` (the decrypted values, in their written and decoded forms),
 * and a last-applied annotation is reported on its own. Names paths, never a value.
 */
export function clearValueProblems(parsed: ParsedManifest, tree: readonly TreeDocument[], select: Selector, values: readonly string[]): string[] {
  const problems: string[] = [];
  // Comments before the first document are top-level tokens, outside every document's tree.
  for (const t of parsed.tokens) {
    if (t.type === 'comment' && values.some((v) => t.source.includes(v))) problems.push('a comment at the top of the file holds a sealed value in clear');
  }
  for (const doc of tree) {
    for (const leaf of doc.leaves) {
      if (select(leaf.path) || typeof leaf.value !== 'string') continue;
      const where = `${leaf.path.join('.')} (line ${leaf.line})`;
      if (leaf.path[0] === 'metadata' && leaf.path[1] === 'annotations' && LAST_APPLIED_ANNOTATIONS.includes(leaf.path[2] ?? '') && lastAppliedHoldsValues(leaf.value)) {
        problems.push(`${where} holds the Secret's values in clear (the whole object as last applied); remove it`);
      } else if (values.some((v) => (leaf.value as string).includes(v))) {
        problems.push(`${where} holds a sealed value in clear`);
      }
    }
    for (const c of doc.comments) {
      if (c.token.source.includes('ENC[AES256_GCM,')) continue;
      if (values.some((v) => c.token.source.includes(v))) problems.push(`a comment under ${c.path.join('.') || 'the top level'} holds a sealed value in clear`);
    }
  }
  return problems;
}
