/**
 * Repository configuration: `.sealops.yaml` (clusters with their age recipients and optional
 * SealedSecret certificate, team recipients, path rules → clusters), found by walking up from
 * the file being sealed; an existing `.sops.yaml` (`creation_rules`) is honoured when there is
 * no `.sealops.yaml`. Public keys only: a private key in either file is refused.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { readDocuments } from '../manifest/parse.js';
import { containsAgeIdentity } from '../crypto/age.js';
import { ConfigError, describe } from '../errors.js';
import type { SelectionRules } from '../formats/sops/index.js';
import { firstMatchingRule, parseOutputPattern, parseRuleGlobs, type PathRule } from './path-rules.js';

/** One cluster of `.sealops.yaml`. */
export interface ClusterConfig {
  name: string;
  recipients: string[];
  /** SealedSecret certificate: a path (relative to the config file) or an https URL. */
  certificate?: string;
  /** Fingerprint (`ks-…`, keys/fingerprint.ts) of the cluster key set the keys above came from (`keys fetch`). */
  keySet?: string;
  /**
   * Public keys of the cluster's previous key sets (rotated out, not yet retired): the cluster
   * still opens files sealed to them, but new seals use `recipients`. Re-seal before retiring.
   */
  previous?: string[];
  /**
   * Public keys of retired key sets: age recipients and RSA `SHA256:` fingerprints that nothing
   * is sealed for any more. A file sealed only to these cannot be opened by the cluster.
   */
  retired?: string[];
}

export type { PathRule } from './path-rules.js';

/** A parsed `.sealops.yaml`. */
export interface SealopsConfig {
  file: string;
  clusters: Map<string, ClusterConfig>;
  team: string[];
  rules: PathRule[];
}

/** What the configuration says about one file. */
export interface ResolvedRecipients {
  /** The config file that decided, or undefined when none was found. */
  configFile?: string;
  recipients: string[];
  clusters: ClusterConfig[];
  /** The path rule of `.sealops.yaml` that picked the clusters, when one did. */
  rule?: PathRule;
  /** Selection rules from a `.sops.yaml` creation rule, when that decided. */
  rules?: SelectionRules;
  /**
   * Key groups of a `.sops.yaml` creation rule (two or more): `recipients` then lists all of
   * them, and sealing must pass these groups and `shamirThreshold` on, or it would let any one
   * recipient open what the rule says needs several.
   */
  keyGroups?: string[][];
  shamirThreshold?: number;
}

function list(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean);
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return (v).map((s) => s.trim());
  throw new ConfigError(`failed to read ${where}: expected a list of strings`);
}

function refusePrivate(text: string, file: string): void {
  if (containsAgeIdentity(text, true) || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new ConfigError(`failed to read ${file}: it contains a private key`, { hint: 'configuration holds public keys only; remove the private key and rotate it' });
  }
}

/**
 * The parsed top level of a configuration file: a map, or empty. Every shape error becomes a
 * ConfigError (exit 6) naming the file and the field, never an internal error.
 */
function parseConfigYaml(text: string, file: string, maxAliasCount: number): Record<string, unknown> {
  refusePrivate(text, file);
  let raw: unknown;
  try {
    raw = readDocuments(text, file, { maxAliasCount })[0];
  } catch (err) {
    throw new ConfigError(`failed to parse ${file}: ${describe(err).split('\n')[0]}`, { cause: err, hint: 'check the file is valid YAML' });
  }
  if (raw === null || raw === undefined) return {};
  return mapOf(raw, file, 'the top level');
}

function mapOf(v: unknown, file: string, field: string): Record<string, unknown> {
  if (v === null || v === undefined) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`failed to read ${file}: ${field} must be a map`);
  return v as Record<string, unknown>;
}

function listOf(v: unknown, file: string, field: string): unknown[] {
  if (v === null || v === undefined) return [];
  if (!Array.isArray(v)) throw new ConfigError(`failed to read ${file}: ${field} must be a list`);
  return v;
}

/** Parses the text of a `.sealops.yaml`. */
export function parseSealopsConfig(text: string, file: string): SealopsConfig {
  const o = parseConfigYaml(text, file, 10);
  const clusters = new Map<string, ClusterConfig>();
  const rawClusters = mapOf(o.clusters, file, 'clusters');
  for (const [name, c] of Object.entries(rawClusters)) {
    const cc = mapOf(c, file, `clusters.${name}`);
    const cluster: ClusterConfig = { name, recipients: list(cc.recipients ?? cc.age, `${file} clusters.${name}.recipients`) };
    if (typeof cc.certificate === 'string') cluster.certificate = cc.certificate;
    if (typeof cc.keySet === 'string') cluster.keySet = cc.keySet;
    if (cc.previous !== undefined) cluster.previous = list(cc.previous, `${file} clusters.${name}.previous`);
    if (cc.retired !== undefined) cluster.retired = list(cc.retired, `${file} clusters.${name}.retired`);
    clusters.set(name, cluster);
  }
  const team = Array.isArray(o.team) ? list(o.team, `${file} team`) : list(mapOf(o.team, file, 'team').recipients, `${file} team.recipients`);
  const rules: PathRule[] = [];
  for (const [i, r] of listOf(o.rules, file, 'rules').entries()) {
    const rr = mapOf(r, file, `rules[${i}]`);
    const globs = parseRuleGlobs(rr.path, file, `rules[${i}].path`);
    const names = list(rr.clusters, `${file} rules[${i}].clusters`);
    for (const n of names) {
      if (!clusters.has(n)) {
        throw new ConfigError(`failed to read ${file}: rules[${i}] names unknown cluster "${n}"`, { hint: `clusters defined: ${[...clusters.keys()].join(', ') || 'none'}` });
      }
    }
    rules.push({ path: globs.join(', '), globs, clusters: names, ...(rr.output !== undefined ? { output: parseOutputPattern(rr.output, file, `rules[${i}].output`) } : {}) });
  }
  return { file, clusters, team, rules };
}

/**
 * What one command has read of the configuration, so a bulk command reads and parses each
 * `.sealops.yaml` / `.sops.yaml` once, not once per file. Make one per command run (the files
 * may change between runs) with {@link createConfigCache}.
 */
export interface ConfigCache {
  /** Files looked up, by path: their text, or undefined when absent. */
  readonly files: Map<string, Promise<string | undefined>>;
  /** Parsed `.sealops.yaml` files, by path. */
  readonly parsed: Map<string, SealopsConfig>;
  /** Parsed `.sops.yaml` files, by path. */
  readonly sopsParsed: Map<string, Record<string, unknown>>;
}

/** A fresh, empty {@link ConfigCache}. */
export function createConfigCache(): ConfigCache {
  return { files: new Map(), parsed: new Map(), sopsParsed: new Map() };
}

function readOnce(file: string, cache: ConfigCache | undefined): Promise<string | undefined> {
  const read = (): Promise<string | undefined> => readFile(file, 'utf8').catch(() => undefined);
  if (!cache) return read();
  let pending = cache.files.get(file);
  if (pending === undefined) cache.files.set(file, (pending = read()));
  return pending;
}

async function findUp(start: string, name: string, cache?: ConfigCache): Promise<{ file: string; text: string } | undefined> {
  let dir = start;
  for (;;) {
    const file = join(dir, name);
    const text = await readOnce(file, cache);
    if (text !== undefined) return { file, text };
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

function sopsRules(text: string, file: string, target: string | undefined, cache: ConfigCache | undefined): ResolvedRecipients | undefined {
  let raw = cache?.sopsParsed.get(file);
  if (!raw) {
    raw = parseConfigYaml(text, file, 100);
    cache?.sopsParsed.set(file, raw);
  }
  if (raw.creation_rules === undefined || raw.creation_rules === null) return undefined;
  const rules = listOf(raw.creation_rules, file, 'creation_rules');
  const rel = target ? relative(dirname(file), target).split(sep).join('/') : undefined;
  for (const [i, item] of rules.entries()) {
    if (item === null || item === undefined) throw new ConfigError(`failed to read ${file}: creation_rules[${i}] is empty`);
    const r = mapOf(item, file, `creation_rules[${i}]`);
    const pr = r.path_regex;
    if (pr !== undefined && typeof pr !== 'string') throw new ConfigError(`failed to read ${file}: creation_rules[${i}].path_regex must be a string`);
    if (typeof pr === 'string' && pr !== '' && (rel === undefined || !pathRegex(pr, file, i).test(rel))) continue;
    const sel: SelectionRules = {};
    for (const k of ['encrypted_regex', 'unencrypted_regex', 'encrypted_suffix', 'unencrypted_suffix'] as const) {
      if (typeof r[k] === 'string') sel[k] = r[k];
    }
    if (r.mac_only_encrypted === true) sel.mac_only_encrypted = true;
    const recipients = list(r.age, `${file} creation_rules.age`);
    const out: ResolvedRecipients = { configFile: file, recipients, clusters: [], rules: Object.keys(sel).length > 0 ? sel : undefined };
    if (r.key_groups !== undefined && r.key_groups !== null) Object.assign(out, keyGroupsOf(r, file, recipients, i));
    return out;
  }
  return undefined;
}

function keyGroupsOf(r: Record<string, unknown>, file: string, flat: string[], rule: number): Pick<ResolvedRecipients, 'recipients' | 'keyGroups' | 'shamirThreshold'> {
  if (!Array.isArray(r.key_groups)) throw new ConfigError(`failed to read ${file}: creation_rules key_groups must be a list`);
  if (flat.length > 0) throw new ConfigError(`failed to read ${file}: a creation rule has both age and key_groups`, { hint: 'sops uses key_groups and ignores age there; put every recipient in a group' });
  const groups = (r.key_groups as unknown[]).map((g, i) => {
    const group = mapOf(g, file, `creation_rules[${rule}].key_groups[${i}]`);
    const others = Object.keys(group).filter((k) => k !== 'age' && (Array.isArray(group[k]) ? (group[k] as unknown[]).length > 0 : group[k] != null));
    // A group that also lists pgp or kms keys can be opened by them; sealing it to age alone
    // would change who can open it, so it is refused rather than narrowed.
    if (others.length > 0) throw new ConfigError(`failed to read ${file}: key_groups[${i}] uses ${others.join(', ')}; sealops seals to age recipients only`);
    return list(group.age, `${file} key_groups[${i}].age`);
  });
  const raw = r.shamir_threshold;
  const threshold = raw === undefined || raw === null ? undefined : Number(raw);
  if (threshold !== undefined && (!Number.isInteger(threshold) || threshold < 0 || threshold > groups.length)) {
    throw new ConfigError(`failed to read ${file}: shamir_threshold ${String(raw)} does not fit ${groups.length} key groups`);
  }
  if (groups.length <= 1) return { recipients: groups[0] ?? [] };
  return { recipients: [...new Set(groups.flat())], keyGroups: groups, shamirThreshold: threshold };
}

function pathRegex(source: string, file: string, i: number): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new ConfigError(`failed to read ${file}: creation_rules[${i}].path_regex is not a valid regular expression (${describe(err)})`, { cause: err });
  }
}

/**
 * Recipients for `target` (an absolute path, or undefined for stdin: then `cwd` is searched and
 * only rules matching everything apply). `clusters` overrides the path rules.
 */
export async function resolveRecipients(opts: { target?: string; cwd: string; clusters?: string[]; cache?: ConfigCache }): Promise<ResolvedRecipients> {
  const start = opts.target ? dirname(resolve(opts.cwd, opts.target)) : opts.cwd;
  const found = await findUp(start, '.sealops.yaml', opts.cache);
  if (found) {
    let cfg = opts.cache?.parsed.get(found.file);
    if (!cfg) {
      cfg = parseSealopsConfig(found.text, found.file);
      opts.cache?.parsed.set(found.file, cfg);
    }
    let names = opts.clusters ?? [];
    let rule: PathRule | undefined;
    if (names.length === 0) {
      const rel = opts.target ? relative(dirname(found.file), resolve(opts.cwd, opts.target)).split(sep).join('/') : undefined;
      rule = firstMatchingRule(cfg.rules, rel);
      names = rule?.clusters ?? [];
    }
    const clusters = names.map((n) => {
      const c = cfg.clusters.get(n);
      if (!c) throw new ConfigError(`failed to pick cluster "${n}": not in ${found.file}`);
      return c;
    });
    const recipients = [...new Set([...clusters.flatMap((c) => c.recipients), ...(clusters.length > 0 ? cfg.team : [])])];
    return { configFile: found.file, recipients, clusters, ...(rule ? { rule } : {}) };
  }
  if (opts.clusters && opts.clusters.length > 0) {
    throw new ConfigError('failed to pick clusters: no .sealops.yaml found', { hint: 'create one (see keys.example) or pass -r RECIPIENT' });
  }
  const sops = await findUp(start, '.sops.yaml', opts.cache);
  if (sops) {
    const target = opts.target ? resolve(opts.cwd, opts.target) : undefined;
    const r = sopsRules(sops.text, sops.file, target, opts.cache);
    if (r) return r;
  }
  return { recipients: [], clusters: [] };
}
