/**
 * Which values are placeholders rather than secrets. A Secret, generator literal or token that
 * is one of these is not reported, because repositories are full of templates and examples:
 *
 * - empty or whitespace only;
 * - a variable or template reference: `${VAR}`, `$VAR`, `$(VAR)`, `{{ … }}`, `%VAR%`;
 * - an angle-bracket hole: `<password>`, `<your token here>`;
 * - one of the words `changeme`, `change-me`, `change_me`, `replaceme`, `replace-me`,
 *   `replace_me`, `todo`, `tbd`, `fixme`, `placeholder`, `dummy`, `example`, `redacted`,
 *   `secret`, `password`, `null`, `none`, `undefined` (any case), `...`, or a run of one
 *   repeated character such as `xxxxxxxx` or `********`.
 *
 * Everything else is a value, however short: a one-letter password is still a password.
 */

const WORDS = new Set([
  'changeme',
  'change-me',
  'change_me',
  'replaceme',
  'replace-me',
  'replace_me',
  'todo',
  'tbd',
  'fixme',
  'placeholder',
  'dummy',
  'example',
  'redacted',
  'secret',
  'password',
  'null',
  'none',
  'undefined',
  '...',
  '…',
]);

const TEMPLATE = /^(?:\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$\([^)]*\)|\{\{.*\}\}|%[A-Za-z_][A-Za-z0-9_]*%|<[^<>]*>)$/s;

/** True when `value` is a placeholder by the rule above (leading/trailing whitespace ignored). */
export function isPlaceholder(value: string): boolean {
  const v = value.trim();
  if (v === '') return true;
  if (WORDS.has(v.toLowerCase())) return true;
  if (TEMPLATE.test(v)) return true;
  if (v.length >= 3 && /^(.)\1+$/s.test(v)) return true;
  return false;
}
