/**
 * The ignore file, `.sealopsignore` at the top of the repository: reviewed exceptions named by
 * fingerprint. Format, one entry a line:
 *
 * ```
 * # comments and blank lines are ignored
 * 3f1c0e…(32 hex digits)   optional words after the fingerprint say why
 * ```
 *
 * A fingerprint covers one rule, one path and one secret value, so an entry stops applying
 * when the value changes or the file moves; it does not depend on the line number.
 */
import { InputError } from '../errors.js';
import type { Finding } from './findings.js';

/** Name of the ignore file at the top of the repository. */
export const IGNORE_FILE = '.sealopsignore';

const ENTRY = /^([0-9a-f]{32})(?:\s+.*)?$/;

/** Parses an ignore file into its set of fingerprints; a malformed line is an error naming the line. */
export function parseIgnoreFile(text: string, name = IGNORE_FILE): Set<string> {
  const out = new Set<string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = ENTRY.exec(line);
    if (!m?.[1]) {
      throw new InputError(`failed to read ${name}: line ${i + 1} is not a fingerprint (32 lower-case hex digits, then an optional note)`, {
        hint: 'copy the fingerprint printed by `sealops scan` for the finding you reviewed',
      });
    }
    out.add(m[1]);
  }
  return out;
}

/** Marks findings whose fingerprint is listed as allowed by the ignore file (inline allowances are kept). */
export function applyIgnore(findings: readonly Finding[], ignored: ReadonlySet<string>): Finding[] {
  if (ignored.size === 0) return [...findings];
  return findings.map((f) => (f.allowed === undefined && ignored.has(f.fingerprint) ? { ...f, allowed: 'ignore-file' as const } : f));
}
