/**
 * Structural checks of SOPS files. Without the keys the MAC cannot be verified, but its shape
 * can: a file whose `sops` block has no MAC, no `lastmodified` or no recipient cannot be
 * decrypted and verified by anyone, and a `data`/`stringData` value that is not `ENC[…]` is
 * plaintext in git whatever the metadata says.
 */
import { isMap, isScalar, isSeq, Parser, parseAllDocuments, visit, type Document, type Node, type YAMLMap } from 'yaml';
import { isWellFormedEncValue } from '../../crypto/envelope.js';
import { nestingOverflow } from '../../manifest/parse.js';
import { LINEAR_COMPOSE_OPTIONS } from '../../manifest/unique-keys.js';
import type { RawFinding } from '../findings.js';
import { mapOf, pairOf, valueOf } from './yaml-nodes.js';


const KEY_SOURCES = ['age', 'pgp', 'kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'key_groups'] as const;

/** True when `value` is a well-formed SOPS-encrypted value. */
function isSopsValue(value: string): boolean {
  return isWellFormedEncValue(value);
}

/** True when the document's root map has a `sops` map (the file claims to be SOPS-encrypted). */
export function hasSopsBlock(root: YAMLMap, doc: Document.Parsed): boolean {
  return mapOf(root, 'sops', doc) !== undefined;
}

function offsetOf(node: unknown, fallback: number): number {
  return (node as Node | undefined)?.range?.[0] ?? fallback;
}

/**
 * Checks the `sops` block of one document: a MAC of the right shape, a `lastmodified`, and at
 * least one recipient or key group; and every `ENC[` value elsewhere in the document is well
 * formed. Also flags `ENC[` values in a document that has no `sops` block.
 */
export function checkSopsDocument(root: YAMLMap, doc: Document.Parsed): RawFinding[] {
  const out: RawFinding[] = [];
  const sopsPair = pairOf(root, 'sops');
  const sops = mapOf(root, 'sops', doc);
  const rootAt = offsetOf(root, 0);
  let encValues = 0;
  visit(doc, {
    Pair(_k, pair) {
      if (pair === sopsPair) return visit.SKIP;
      return undefined;
    },
    Scalar(_k, node) {
      if (typeof node.value !== 'string' || !node.value.startsWith('ENC[')) return;
      encValues++;
      if (!isSopsValue(node.value)) {
        out.push({ rule: 'sops-malformed', offset: offsetOf(node, rootAt), message: 'an ENC[…] value is not a well-formed SOPS value (truncated or edited by hand)', subject: node.value });
      }
    },
  });
  if (!sops) {
    if (sopsPair) out.push({ rule: 'sops-malformed', offset: offsetOf(sopsPair.key, rootAt), message: 'the sops key is not a map of SOPS metadata', subject: 'sops-block' });
    else if (encValues > 0) out.push({ rule: 'sops-malformed', offset: rootAt, message: 'the document has ENC[…] values but no sops metadata block, so it cannot be decrypted', subject: 'no-sops-block' });
    return out;
  }
  const at = offsetOf(sopsPair?.key, rootAt);
  const mac = valueOf(sops, 'mac', doc);
  if (!isScalar(mac) || typeof mac.value !== 'string' || mac.value === '') {
    out.push({ rule: 'sops-mac', offset: at, message: 'sops.mac is missing, so the file\'s integrity cannot be verified', subject: 'mac-missing' });
  } else if (!isSopsValue(mac.value) || !mac.value.endsWith(',type:str]')) {
    out.push({ rule: 'sops-mac', offset: offsetOf(mac, at), message: 'sops.mac is not an encrypted SOPS value (edited by hand?)', subject: 'mac-invalid' });
  }
  const lm = valueOf(sops, 'lastmodified', doc);
  if (!isScalar(lm) || lm.value === null || lm.value === '') {
    out.push({ rule: 'sops-metadata', offset: at, message: 'sops.lastmodified is missing; the MAC cannot be checked without it', subject: 'lastmodified-missing' });
  }
  const hasRecipient = KEY_SOURCES.some((k) => {
    const v = valueOf(sops, k, doc);
    return isSeq(v) && v.items.some((item) => isMap(item) && item.items.length > 0);
  });
  if (!hasRecipient) {
    out.push({ rule: 'sops-no-recipients', offset: at, message: 'sops names no recipient or key group, so nobody can decrypt the data key', subject: 'no-recipients' });
  }
  return out;
}

/**
 * How a file referenced by a kustomize generator is protected: `sealed` (a SOPS file in the
 * YAML/JSON, binary or dotenv store, with every value encrypted), `partly` (SOPS metadata but
 * some value in plaintext), or `plain`.
 */
export function sealedState(text: string): 'sealed' | 'partly' | 'plain' {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      const obj = JSON.parse(text) as Record<string, unknown>;
      if (typeof obj.sops !== 'object' || obj.sops === null) return 'plain';
      return leavesEncrypted(obj, true) ? 'sealed' : 'partly';
    } catch {
      return 'plain';
    }
  }
  // dotenv store: `key=ENC[…]` lines plus flattened `sops_*` metadata.
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
  if (lines.some((l) => l.startsWith('sops_mac=')) && lines.every((l) => l.includes('='))) {
    const plain = lines.filter((l) => !l.startsWith('sops_')).some((l) => {
      const v = l.slice(l.indexOf('=') + 1);
      return v !== '' && !isSopsValue(v);
    });
    return plain ? 'partly' : 'sealed';
  }
  // YAML store: a top-level `sops` map; every other leaf must be encrypted (or empty).
  if (/^sops:/m.test(text)) {
    try {
      // Too deep to compose safely: judged as plaintext, which fails closed.
      if (nestingOverflow([...new Parser().parse(text)]) !== undefined) return 'plain';
      const docs = parseAllDocuments(text, { logLevel: 'error', ...LINEAR_COMPOSE_OPTIONS });
      const list = Array.isArray(docs) ? docs : [docs];
      const values = list.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
      if (!values.every((v) => typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>).sops === 'object')) return 'plain';
      return values.every((v) => leavesEncrypted(v, true)) ? 'sealed' : 'partly';
    } catch {
      return 'plain';
    }
  }
  return 'plain';
}

function leavesEncrypted(value: unknown, top: boolean): boolean {
  if (typeof value === 'string') return value === '' || isSopsValue(value);
  if (value === null || value === undefined) return true;
  if (typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.every((v) => leavesEncrypted(v, false));
  return Object.entries(value).every(([k, v]) => (top && k === 'sops') || leavesEncrypted(v, false));
}
