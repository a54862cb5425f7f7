/**
 * The agent's redaction: which values it must never publish, and how text is cleaned of them.
 *
 * Every value the decrypt stage produced counts, whatever field it sits in (SOPS files may
 * encrypt any field through `encrypted_regex`), and so does every value substituted from a
 * Secret. Short values cannot be cut out of text as substrings without shredding ordinary
 * words, so text is also cleaned by structure: a quoted string that contains a secret is
 * replaced whole, and the value the API server echoes in a field error (`Invalid value: …`)
 * is dropped for objects that held decrypted values.
 */
import { REDACTED, redact } from '../../errors.js';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSopsCiphertext(v: unknown): boolean {
  return typeof v === 'string' && v.startsWith('ENC[');
}

function leaves(v: unknown, out: string[]): void {
  if (Array.isArray(v)) v.forEach((x) => leaves(x, out));
  else if (isRecord(v)) Object.values(v).forEach((x) => leaves(x, out));
  else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out.push(String(v));
}

/**
 * Every value of `unsealed` that was decrypted from `sealed`: leaves whose sealed counterpart is
 * a SOPS ciphertext (or a subtree under one), and for a SealedSecret every value of the Secret's
 * `data` (raw and base64-decoded) and `stringData`. Metadata copied from a SealedSecret's
 * template was public in git and is not listed.
 */
export function decryptedValues(sealed: unknown, unsealed: unknown): string[] {
  const out: string[] = [];
  if (isRecord(sealed) && sealed.kind === 'SealedSecret' && isRecord(unsealed)) {
    if (isRecord(unsealed.data)) {
      for (const v of Object.values(unsealed.data)) {
        if (typeof v !== 'string') continue;
        out.push(v, Buffer.from(v, 'base64').toString('utf8'));
      }
    }
    leaves(unsealed.stringData, out);
    return out;
  }
  const walk = (s: unknown, u: unknown): void => {
    if (isSopsCiphertext(s)) return leaves(u, out);
    if (Array.isArray(u)) u.forEach((x, i) => walk(Array.isArray(s) ? s[i] : undefined, x));
    else if (isRecord(u)) for (const [k, x] of Object.entries(u)) walk(isRecord(s) ? s[k] : undefined, x);
  };
  walk(sealed, unsealed);
  // A Secret's data values are base64: the decoded form is what an error might echo.
  if (isRecord(unsealed) && unsealed.kind === 'Secret' && isRecord(unsealed.data) && isRecord(sealed) && isRecord(sealed.data)) {
    for (const [k, v] of Object.entries(unsealed.data)) if (typeof v === 'string' && isSopsCiphertext(sealed.data[k])) out.push(Buffer.from(v, 'base64').toString('utf8'));
  }
  return out.filter((v) => v !== '');
}

/** Field errors of the API server: `<path>: Invalid value: <value>: <detail>`. */
const FIELD_VALUE = /\b(Invalid value|Unsupported value|Duplicate value|Not found): ("(?:[^"\\]|\\.)*"|[^:\];]*)/g;

/** A JSON-style quoted string, as the API server and our own messages quote values. */
const QUOTED = /"(?:[^"\\]|\\.)*"/g;

/** Drops the values echoed in the API server's field errors, keeping field paths and reasons. */
export function redactFieldValues(text: string): string {
  return text.replace(FIELD_VALUE, (_m, what: string) => `${what}: ${REDACTED}`);
}

/**
 * Cleans `text` of `secrets`: long values (and their base64 form) are cut out wherever they
 * appear; a quoted string holding any secret, however short, is replaced whole.
 */
export function redactText(text: string, secrets: Iterable<string>): string {
  const all = [...new Set(secrets)].filter((s) => s !== '');
  let out = redact(text, all);
  const short = all.filter((s) => Buffer.byteLength(s, 'utf8') < 4);
  if (short.length) {
    out = out.replace(QUOTED, (q) => {
      let inner = q.slice(1, -1);
      try {
        inner = JSON.parse(q) as string;
      } catch {
        // keep the raw text between the quotes
      }
      return short.some((s) => inner === s || inner.includes(s)) ? `"${REDACTED}"` : q;
    });
  }
  return out;
}
