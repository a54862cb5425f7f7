/**
 * The git diff driver (`sealops textconv FILE`, configured as `diff.sealops.textconv`): a sealed
 * file printed with its keys and one marker per value, so `git diff`, `git log -p` and
 * `git show` say which keys changed instead of showing walls of base64, and never a value.
 *
 * The marker is `<sealed:` + the first 12 hex digits of SHA-256 over the value's ciphertext
 * envelope + `>`. It changes exactly when the value was re-encrypted, and it leaks nothing: the
 * ciphertext is already public in the same git history, and a digest of public bytes tells no
 * more than those bytes (each envelope carries a random IV, so two equal values do not share a
 * marker either). What changes on every re-seal without meaning anything (the SOPS MAC and
 * `lastmodified`) is left out, and wrapped data keys become markers too. A Secret value that
 * is not sealed is never printed, nor digested (a digest of a weak plaintext can be guessed):
 * it shows as `<NOT SEALED>`. Files with nothing secret come back unchanged.
 */
import { createHash } from 'node:crypto';
import { isMap, isPair, isScalar, visit, type Document } from 'yaml';
import { parseDocumentsLinear } from '../manifest/unique-keys.js';

const ENC_PREFIX = 'ENC[AES256_GCM,';
/** What replaces a Secret value that is not sealed. */
export const NOT_SEALED = '<NOT SEALED>';

/** The marker of one ciphertext. */
export function valueMarker(ciphertext: string): string {
  return `<sealed:${createHash('sha256').update(ciphertext).digest('hex').slice(0, 12)}>`;
}

const FLAT_NOISE = /^\s*(sops_)?(mac|lastmodified)\s*=/;
const FLAT_ENC = /ENC\[AES256_GCM,[^\]]*\]/g;

function flat(text: string): string {
  return text
    .split('\n')
    .filter((l) => !FLAT_NOISE.test(l))
    .map((l) => (/^\s*sops_.*__map_enc\s*=/.test(l) ? l.replace(/=.*/, `=${valueMarker(l)}`) : l.replace(FLAT_ENC, (m) => valueMarker(m))))
    .join('\n');
}

type Shape = { kind?: unknown; apiVersion?: unknown; sops?: unknown };

/** The transformation of one parsed value (JSON files): same rules as the YAML visitor. */
function convertValue(v: unknown, path: readonly string[], shape: Shape): unknown {
  if (typeof v === 'string') return leaf(v, path, shape) ?? v;
  if (Array.isArray(v)) return v.map((x, i) => convertValue(x, [...path, String(i)], shape));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (path.length === 1 && path[0] === 'sops' && (k === 'mac' || k === 'lastmodified')) continue;
      out[k] = convertValue(x, [...path, k], shape);
    }
    return out;
  }
  return secretField(path, shape) && v !== null && v !== undefined ? NOT_SEALED : v;
}

function secretField(path: readonly string[], shape: Shape): boolean {
  return shape.kind === 'Secret' && shape.apiVersion === 'v1' && path.length === 2 && (path[0] === 'data' || path[0] === 'stringData');
}

/** The replacement of one string leaf, or undefined to keep it. */
function leaf(v: string, path: readonly string[], shape: Shape): string | undefined {
  if (v.startsWith(ENC_PREFIX)) return valueMarker(v);
  if (path[0] === 'sops' && path.at(-1) === 'enc') return valueMarker(v);
  if (shape.kind === 'SealedSecret' && path.length === 3 && path[0] === 'spec' && path[1] === 'encryptedData') return valueMarker(v);
  if (secretField(path, shape) && v !== '') return NOT_SEALED;
  return undefined;
}

function yamlDoc(doc: Document.Parsed): void {
  const shape = (doc.toJS({ maxAliasCount: 100 }) ?? {}) as Shape;
  if (!shape || typeof shape !== 'object') return;
  const sops = doc.get('sops', true);
  if (isMap(sops)) {
    sops.delete('mac');
    sops.delete('lastmodified');
  }
  visit(doc, {
    Scalar(_key, node, ancestors) {
      const path = ancestors.filter(isPair).map((p) => (isScalar(p.key) ? String(p.key.value) : ''));
      const parent = ancestors.at(-1);
      if (!isPair(parent) || parent.value !== node) {
        // A list item: its path ends at the list's key.
        if (!(typeof node.value === 'string' && node.value.startsWith(ENC_PREFIX))) return;
      }
      if (typeof node.value === 'string') {
        const r = leaf(node.value, path, shape);
        if (r !== undefined) {
          node.value = r;
          node.type = 'PLAIN';
        }
      } else if (node.value !== null && secretField(path, shape)) node.value = NOT_SEALED;
    },
  });
}

/** What `sealops textconv` prints for a file's bytes (`path` picks dotenv/INI by its name). */
export function textconv(content: Buffer | string, path = ''): string {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const sensitive = text.includes(ENC_PREFIX) || /\b(Secret|SealedSecret)\b/.test(text);
  if (!sensitive) return text;
  if (/^sops_mac=/m.test(text) || /\.(env|ini)$/i.test(path) || /^\[sops\]\s*$/m.test(text)) return flat(text);
  if (/^\s*[{[]/.test(text)) {
    try {
      const value = JSON.parse(text) as unknown;
      const shape = (value && typeof value === 'object' ? value : {}) as Shape;
      return JSON.stringify(convertValue(value, [], shape), null, 2) + '\n';
    } catch {
      // Not JSON after all: YAML (a superset) is tried next.
    }
  }
  const list = parseDocumentsLinear(text, { prettyErrors: false });
  if (list.some((d) => d.errors.length > 0)) return `# sealops textconv: ${path || 'this file'} does not parse as YAML or JSON; its content is hidden\n`;
  for (const d of list) yamlDoc(d);
  // sops also encrypts comments (`#ENC[…]`), which no visitor sees: replace whatever envelope is left.
  return list.map((d) => d.toString({ lineWidth: 0 })).join('').replace(FLAT_ENC, (m) => valueMarker(m));
}
