/**
 * The agent's redaction: how text is cleaned of the values it must never publish.
 *
 * Every value the decrypt stage produced counts, whatever field it sits in (SOPS files may
 * encrypt any field through `encrypted_regex`), and so does every value substituted from a
 * Secret: the decrypt stage and post-build list them. Short values cannot be cut out of text as substrings without shredding ordinary
 * words, so text is also cleaned by structure: a quoted string that contains a secret is
 * replaced whole, and the value the API server echoes in a field error (`Invalid value: …`)
 * is dropped for objects that held decrypted values.
 */
import { REDACTED, redact } from '../../errors.js';

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
