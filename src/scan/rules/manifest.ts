/**
 * Kubernetes manifests, judged by parsing: Secrets (top level and inside `List` items) with
 * plaintext in `data` (base64-decoded) or `stringData`; SOPS documents whose values or metadata
 * are not what a sealed file has; SealedSecrets, which are fine unless a value is not a sealed
 * value or the template carries plaintext.
 */
import { isMap, isScalar, type Document, type YAMLMap } from 'yaml';
import type { RawFinding } from '../findings.js';
import { isTemplateExpression } from '../../formats/sealedsecret/template-data.js';
import { LAST_APPLIED_ANNOTATIONS, lastAppliedHoldsValues } from '../../manifest/secret.js';
import { isPlaceholder } from './placeholder.js';
import { checkSopsDocument, hasSopsBlock } from './sops.js';
import { keyText, mapOf, pairOf, scalarText, seqOf, spanOf, stringOf } from './yaml-nodes.js';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Judges one parsed YAML/JSON document. */
export function checkDocument(doc: Document.Parsed): RawFinding[] {
  const root = doc.contents;
  if (!isMap(root)) return [];
  const sealed = hasSopsBlock(root, doc);
  const out: RawFinding[] = [];
  // A `sops` key that is not a map, or ENC[ values without one, are reported by checkSopsDocument too.
  if (pairOf(root, 'sops') || stringsContainEnc(root)) out.push(...checkSopsDocument(root, doc));
  checkObject(root, doc, sealed, out, 0);
  if (sealed) checkSopsTopLevelValues(root, doc, out);
  return out;
}

function stringsContainEnc(root: YAMLMap): boolean {
  // Only a cheap look at the Secret value maps; checkSopsDocument walks everything.
  for (const p of root.items) {
    if (keyText(p) !== 'data' && keyText(p) !== 'stringData') continue;
    if (isMap(p.value) && p.value.items.some((q) => isScalar(q.value) && typeof q.value.value === 'string' && q.value.value.startsWith('ENC['))) return true;
  }
  return false;
}

function checkObject(obj: YAMLMap, doc: Document.Parsed, sealed: boolean, out: RawFinding[], depth: number): void {
  const kind = stringOf(obj, 'kind', doc);
  const apiVersion = stringOf(obj, 'apiVersion', doc) ?? '';
  if (kind === 'Secret' && (apiVersion === 'v1' || apiVersion === '')) checkSecret(obj, doc, sealed, out);
  else if (kind === 'SealedSecret' && apiVersion.startsWith('bitnami.com/')) checkSealedSecret(obj, doc, out);
  else if (kind !== undefined && kind.endsWith('List') && depth < 4) {
    const items = seqOf(obj, 'items', doc);
    for (const item of items?.items ?? []) if (isMap(item)) checkObject(item, doc, sealed, out, depth + 1);
  }
}

function checkSecret(obj: YAMLMap, doc: Document.Parsed, sealed: boolean, out: RawFinding[]): void {
  const name = stringOf(mapOf(obj, 'metadata', doc) ?? obj, 'name', doc) ?? '(unnamed)';
  checkLastApplied(mapOf(obj, 'metadata', doc), doc, `Secret ${name}`, out);
  for (const field of ['data', 'stringData'] as const) {
    const values = mapOf(obj, field, doc);
    if (!values) continue;
    for (const pair of values.items) {
      const key = keyText(pair);
      const span = spanOf(pair, pair.value);
      const text = scalarText(pair.value);
      if (text === undefined) {
        if (pair.value !== null && pair.value !== undefined && !isScalar(pair.value)) {
          out.push({ rule: 'secret-invalid-data', offset: span[0], message: `Secret ${name}: ${field}.${key} is not a string value`, subject: `${field}.${key}`, span });
        }
        continue;
      }
      if (text.startsWith('ENC[')) continue; // judged by the SOPS checks
      const plain = field === 'data' ? decodeData(text) : text;
      if (plain === undefined) {
        if (isPlaceholder(text)) continue;
        out.push({ rule: 'secret-invalid-data', offset: span[0], message: `Secret ${name}: data.${key} is not base64, so it holds text written in plaintext`, subject: text, span });
        continue;
      }
      if (isPlaceholder(plain)) continue;
      const where = `Secret ${name}: ${field}.${key}`;
      if (sealed) out.push({ rule: 'sops-unencrypted-value', offset: span[0], message: `${where} is not encrypted in a SOPS file (partly sealed)`, subject: plain, span });
      else if (field === 'data') out.push({ rule: 'secret-plaintext-data', offset: span[0], message: `${where} holds a plaintext value (base64 is an encoding, not encryption)`, subject: plain, span });
      else out.push({ rule: 'secret-plaintext-stringdata', offset: span[0], message: `${where} holds a plaintext value`, subject: plain, span });
    }
  }
}

/**
 * `kubectl get -o yaml` exports the last-applied annotation with the whole object in it: sealing
 * the values leaves them readable there, so the annotation is judged on its own.
 */
function checkLastApplied(metadata: YAMLMap | undefined, doc: Document.Parsed, what: string, out: RawFinding[]): void {
  const annotations = metadata && mapOf(metadata, 'annotations', doc);
  for (const pair of annotations?.items ?? []) {
    const text = scalarText(pair.value);
    if (text === undefined || !LAST_APPLIED_ANNOTATIONS.includes(keyText(pair)) || !lastAppliedHoldsValues(text)) continue;
    const span = spanOf(pair, pair.value);
    out.push({ rule: 'secret-last-applied', offset: span[0], message: `${what}: annotation ${keyText(pair)} holds the Secret's values in clear`, subject: text, span });
  }
}

/** The decoded text of a `data` value, or undefined when it is not standard padded base64. */
function decodeData(text: string): string | undefined {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return undefined;
  return Buffer.from(compact, 'base64').toString('latin1');
}

/** SOPS files: any non-empty top-level data/stringData value that is not ENC[…] (also outside Secrets). */
function checkSopsTopLevelValues(root: YAMLMap, doc: Document.Parsed, out: RawFinding[]): void {
  if (stringOf(root, 'kind', doc) === 'Secret') return; // checkSecret already judged these
  // The binary store keeps a whole file as one top-level `data` string.
  const whole = pairOf(root, 'data');
  const wholeText = whole && scalarText(whole.value);
  if (whole && wholeText !== undefined && wholeText !== '' && !wholeText.startsWith('ENC[')) {
    const span = spanOf(whole, whole.value);
    out.push({ rule: 'sops-unencrypted-value', offset: span[0], message: 'data is not encrypted in a SOPS file', subject: wholeText, span });
  }
  for (const field of ['data', 'stringData']) {
    const values = mapOf(root, field, doc);
    for (const pair of values?.items ?? []) {
      const text = scalarText(pair.value);
      if (text === undefined || text === '' || text.startsWith('ENC[')) continue;
      const span = spanOf(pair, pair.value);
      out.push({ rule: 'sops-unencrypted-value', offset: span[0], message: `${field}.${keyText(pair)} is not encrypted in a SOPS file (partly sealed)`, subject: text, span });
    }
  }
}

function checkSealedSecret(obj: YAMLMap, doc: Document.Parsed, out: RawFinding[]): void {
  const spec = mapOf(obj, 'spec', doc);
  if (!spec) return;
  const name = stringOf(mapOf(obj, 'metadata', doc) ?? obj, 'name', doc) ?? '(unnamed)';
  for (const pair of mapOf(spec, 'encryptedData', doc)?.items ?? []) {
    const text = scalarText(pair.value);
    if (text === undefined || text === '') continue;
    if (!looksSealed(text)) {
      const span = spanOf(pair, pair.value);
      out.push({ rule: 'sealedsecret-malformed', offset: span[0], message: `SealedSecret ${name}: encryptedData.${keyText(pair)} is not a sealed value (plaintext or truncated)`, subject: text, span });
    }
  }
  const template = mapOf(spec, 'template', doc);
  for (const pair of (template && mapOf(template, 'data', doc))?.items ?? []) {
    const text = scalarText(pair.value);
    if (text === undefined || isPlaceholder(text) || isTemplateExpression(text)) continue;
    const span = spanOf(pair, pair.value);
    out.push({ rule: 'sealedsecret-plaintext-template', offset: span[0], message: `SealedSecret ${name}: template.data.${keyText(pair)} is plaintext next to sealed values`, subject: text, span });
  }
}

/** A sealed value: base64 of uint16 length, an RSA ciphertext of that length (≥ 1024 bits) and an AES-GCM ciphertext with tag. */
function looksSealed(text: string): boolean {
  const compact = text.replace(/\s+/g, '');
  if (!BASE64.test(compact)) return false;
  const raw = Buffer.from(compact, 'base64');
  if (raw.length < 2) return false;
  const rsaLen = raw.readUInt16BE(0);
  return rsaLen >= 128 && raw.length >= 2 + rsaLen + 16;
}
