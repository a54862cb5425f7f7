/**
 * Path rules of `.sealops.yaml`: which clusters a file is sealed for, by glob. The one glob
 * implementation of sealops is picomatch (braces, `**`, extglobs, character classes); a
 * hand-written translation silently matched nothing for braces, the pattern teams use most
 * (`clusters/{prod,stage}/**`).
 *
 * Syntax and meaning (the README's "Path rules" section says the same):
 * - Paths are relative to the folder of `.sealops.yaml`, with `/` separators.
 * - `*` matches within one path segment, `**` across segments, `{a,b}` either, `?` one character;
 *   dot files match (`**` also picks `.env`).
 * - A rule's `path` is one glob or a list of globs. A glob starting with `!` excludes: a file
 *   matches the rule when it matches at least one positive glob of the rule and none of its
 *   negative ones; a rule of negative globs only matches every file none of them matches.
 * - Rules are tried in order and the first rule that matches decides (first match wins); an
 *   excluded file falls through to the next rule.
 */
import picomatch from 'picomatch';
import { ConfigError } from '../errors.js';

/** A path rule: files matching `globs` (relative to the config's folder) go to `clusters`. */
export interface PathRule {
  /** The rule's path as written (globs joined with `, `), for messages. */
  path: string;
  /** The globs of the rule; those starting with `!` exclude. */
  globs: string[];
  clusters: string[];
  /**
   * Where a fleet SealedSecret goes, one file per cluster (see operations/fleet.ts): a pattern
   * with `{cluster}` and any of `{path}`, `{dir}`, `{file}`, `{name}`, `{ext}`, relative to the
   * config's folder. SealedSecrets are sealed to one cluster's certificate, so a source that a
   * rule sends to several clusters becomes several files.
   */
  output?: string;
}

const OPTIONS: picomatch.PicomatchOptions = { dot: true, strictSlashes: false };

/** Compiled matchers, by the rule's globs: a bulk command tests thousands of paths against a few rules. */
const compiled = new WeakMap<PathRule, (path: string) => boolean>();

/** Splits `path:` of a rule (a glob or a list of globs) into its globs; throws on an empty or malformed one. */
export function parseRuleGlobs(value: unknown, file: string, field: string): string[] {
  const globs = typeof value === 'string' ? [value] : Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  if (!globs || globs.length === 0) throw new ConfigError(`failed to read ${file}: ${field} must be a glob or a list of globs`);
  for (const g of globs) {
    if (g.trim() === '' || g === '!') throw new ConfigError(`failed to read ${file}: ${field} has an empty glob, which matches nothing`);
    if (g.startsWith('/')) throw new ConfigError(`failed to read ${file}: ${field} glob "${g}" is absolute; paths are relative to the folder of .sealops.yaml`);
  }
  return globs;
}

/** Checks a rule's `output` pattern: it must name `{cluster}`, or every cluster would write the same file. */
export function parseOutputPattern(value: unknown, file: string, field: string): string {
  if (typeof value !== 'string' || !value.includes('{cluster}')) throw new ConfigError(`failed to read ${file}: ${field} must be a path pattern containing {cluster}`);
  const unknown = [...value.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]).filter((p) => !['cluster', 'path', 'dir', 'file', 'name', 'ext'].includes(p ?? ''));
  if (unknown.length > 0) throw new ConfigError(`failed to read ${file}: ${field} has unknown placeholder {${unknown[0]}}`, { hint: 'use {cluster}, {path}, {dir}, {file}, {name} and {ext}' });
  if (value.startsWith('/') || value.split('/').includes('..')) throw new ConfigError(`failed to read ${file}: ${field} must stay inside the folder of .sealops.yaml`);
  return value;
}

/** A predicate over `/`-separated relative paths for one glob (no `!` handling). */
function globMatcher(glob: string): (path: string) => boolean {
  return picomatch(glob, OPTIONS);
}

/** Whether `rule` selects `path` (relative, `/`-separated), by the semantics in this module's comment. */
export function ruleMatches(rule: PathRule, path: string): boolean {
  let test = compiled.get(rule);
  if (!test) {
    const positive = rule.globs.filter((g) => !g.startsWith('!')).map(globMatcher);
    const negative = rule.globs.filter((g) => g.startsWith('!')).map((g) => globMatcher(g.slice(1)));
    test = (p) => (positive.length === 0 || positive.some((m) => m(p))) && !negative.some((m) => m(p));
    compiled.set(rule, test);
  }
  return test(path);
}

/** The first rule that selects `path`; for stdin (no path) only a rule of exactly `**` applies. */
export function firstMatchingRule<R extends PathRule>(rules: readonly R[], path: string | undefined): R | undefined {
  if (path === undefined) return rules.find((r) => r.globs.length === 1 && r.globs[0] === '**');
  return rules.find((r) => ruleMatches(r, path));
}

/**
 * Rules that select none of `paths` (relative to the config's folder): most likely a typo or a
 * folder that moved, which would seal those files for nobody's cluster. Each comes with its index.
 */
export function unmatchedRules<R extends PathRule>(rules: readonly R[], paths: readonly string[]): { index: number; rule: R }[] {
  return rules.flatMap((rule, index) => (paths.some((p) => ruleMatches(rule, p)) ? [] : [{ index, rule }]));
}
