/**
 * age key files: parsing identity files (the `age-keygen` format: `# created:` and
 * `# public key:` comments, one `AGE-SECRET-KEY-…` per line) and writing new ones.
 */
import { AGE_IDENTITY_LINE } from '../crypto/age.js';
import { KeyError } from '../errors.js';


/**
 * The identities of an age identity file: `#` comments and blank lines stripped, CRLF allowed.
 * Throws KeyError (naming the line, never its content) on a line that is not an identity.
 */
export function parseAgeIdentities(text: string, source = 'key file'): string[] {
  const out: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (!AGE_IDENTITY_LINE.test(line)) {
      throw new KeyError(`failed to read ${source}: line ${i + 1} is not an age identity (AGE-SECRET-KEY-1…)`, {
        hint: 'sealops reads age identity files as written by age-keygen or sealops keygen',
      });
    }
    out.push(line);
  }
  return out;
}

/** The text of a new identity file, in the exact layout `age-keygen` writes. */
export function formatAgeKeyFile(identity: string, recipient: string, created: Date = new Date()): string {
  const stamp = created.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `# created: ${stamp}\n# public key: ${recipient}\n${identity}\n`;
}
