/**
 * Which leaves are encrypted: the rules sops applies from its metadata (`unencrypted_suffix`,
 * `encrypted_suffix`, `unencrypted_regex`, `encrypted_regex` and their comment variants), in the
 * same order and with the same "any path element matches" semantics.
 */
import { InputError } from '../../errors.js';

/** The selection rules of a SOPS file. */
export interface SelectionRules {
  unencrypted_suffix?: string;
  encrypted_suffix?: string;
  unencrypted_regex?: string;
  encrypted_regex?: string;
  unencrypted_comment_regex?: string;
  encrypted_comment_regex?: string;
  mac_only_encrypted?: boolean;
}

/** Compiled rules; regexes are compiled once per file. */
export interface Selector {
  (path: readonly string[]): boolean;
  /** Whether a comment (its text) under `path` is encrypted. */
  comment(path: readonly string[], text: string): boolean;
}

function compile(re: string | undefined, name: string): RegExp | undefined {
  if (re === undefined || re === '') return undefined;
  try {
    return new RegExp(re, 'u');
  } catch (err) {
    throw new InputError(`failed to read sops metadata: ${name} is not a valid regular expression`, { cause: err });
  }
}

/**
 * Builds the selector. Exactly like sops: a path is encrypted unless an element ends with the
 * unencrypted suffix; with an encrypted suffix only paths with such an element are; regexes
 * match any path element (unanchored, as Go's regexp.Match).
 */
export function makeSelector(rules: SelectionRules): Selector {
  const unRe = compile(rules.unencrypted_regex, 'unencrypted_regex');
  const encRe = compile(rules.encrypted_regex, 'encrypted_regex');
  const unComment = compile(rules.unencrypted_comment_regex, 'unencrypted_comment_regex');
  const encComment = compile(rules.encrypted_comment_regex, 'encrypted_comment_regex');
  const unSuffix = rules.unencrypted_suffix ?? '';
  const encSuffix = rules.encrypted_suffix ?? '';
  const select = ((path: readonly string[]): boolean => {
    let encrypted = true;
    if (unSuffix !== '' && path.some((p) => p.endsWith(unSuffix))) encrypted = false;
    if (encSuffix !== '') encrypted = path.some((p) => p.endsWith(encSuffix));
    if (unRe && path.some((p) => unRe.test(p))) encrypted = false;
    if (encRe) encrypted = path.some((p) => encRe.test(p));
    return encrypted;
  }) as Selector;
  select.comment = (path, text) => {
    if (unComment?.test(text)) return false;
    if (encComment) return encComment.test(text);
    return select(path);
  };
  return select;
}

/**
 * The AAD of a value: its map keys joined with `:` plus a trailing `:` (list indices omitted).
 * A comment at the top level has the empty path, so its AAD is `:` (sops's
 * `strings.Join(path, ":") + ":"`).
 */
export function pathAad(path: readonly string[]): string {
  return `${path.join(':')}:`;
}
