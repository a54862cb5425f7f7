/**
 * The `sops` metadata block: reading it from any store, and writing it the way sops 3.13 does
 * (keys in alphabetical order, `enc` before `recipient`, no empty key lists — sops ≥ 3.10).
 */
import { InputError } from '../../errors.js';
import type { SelectionRules } from './policy.js';

/**
 * The sops version whose output sealops reproduces. sops reads every 3.x file the same way; the
 * field is recorded because sops writes it, and it names the layout, not the tool.
 */
export const SOPS_FORMAT_VERSION = '3.13.3';

/** One `sops.age[]` entry: the recipient and the data key wrapped for it as an armored age file. */
export interface SopsAgeEntry {
  recipient: string;
  enc: string;
}

/** A parsed `sops` block. */
export interface SopsMetadata extends SelectionRules {
  /** The age entries of a file without key groups (empty when `keyGroups` is set). */
  age: SopsAgeEntry[];
  /**
   * Key groups (sops writes them when a creation rule has two or more): the data key is split
   * with Shamir, one share per group, and any `shamirThreshold` groups recover it.
   */
  keyGroups?: SopsAgeEntry[][];
  shamirThreshold?: number;
  lastmodified: string;
  mac: string;
  version: string;
  /** Key sources other than age that are present and non-empty (kms, pgp, …), by name. */
  otherKeySources: string[];
}

const RULE_KEYS = [
  'encrypted_comment_regex',
  'encrypted_regex',
  'encrypted_suffix',
  'unencrypted_comment_regex',
  'unencrypted_regex',
  'unencrypted_suffix',
] as const;
const OTHER_SOURCES = ['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'hckms', 'pgp'];

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v instanceof Date) return v.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return undefined;
}

/** Validates a raw `sops` value (as parsed from YAML, JSON, dotenv or INI) into metadata. */
export function parseMetadata(raw: unknown, source: string): SopsMetadata {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InputError(`failed to read sops metadata of ${source}: the sops key is not a map`);
  }
  const o = raw as Record<string, unknown>;
  const lastmodified = str(o.lastmodified);
  const mac = str(o.mac);
  if (lastmodified === undefined || mac === undefined || mac === '') {
    throw new InputError(`failed to read sops metadata of ${source}: lastmodified or mac is missing`);
  }
  const age = ageEntries(o.age, 'sops.age', source);
  const otherKeySources = OTHER_SOURCES.filter((k) => {
    const v = o[k];
    return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== '';
  });
  const meta: SopsMetadata = { age, lastmodified, mac, version: str(o.version) ?? '', otherKeySources };
  if (o.key_groups !== undefined && o.key_groups !== null) readKeyGroups(o, meta, source);
  for (const k of RULE_KEYS) {
    const v = o[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new InputError(`failed to read sops metadata of ${source}: ${k} is not a string`);
    meta[k] = v;
  }
  const moe = o.mac_only_encrypted;
  if (moe === true || moe === 'true') meta.mac_only_encrypted = true;
  return meta;
}

function ageEntries(raw: unknown, where: string, source: string): SopsAgeEntry[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new InputError(`failed to read sops metadata of ${source}: ${where} is not a list`);
  return raw.map((e: unknown, i) => {
    const entry = e as Record<string, unknown> | null;
    if (!entry || typeof entry.recipient !== 'string' || typeof entry.enc !== 'string') {
      throw new InputError(`failed to read sops metadata of ${source}: ${where}[${i}] needs recipient and enc`);
    }
    return { recipient: entry.recipient, enc: entry.enc };
  });
}

function readKeyGroups(o: Record<string, unknown>, meta: SopsMetadata, source: string): void {
  if (!Array.isArray(o.key_groups)) throw new InputError(`failed to read sops metadata of ${source}: sops.key_groups is not a list`);
  const groups = (o.key_groups as unknown[]).map((g, i) => {
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw new InputError(`failed to read sops metadata of ${source}: sops.key_groups[${i}] is not a map`);
    const group = g as Record<string, unknown>;
    for (const k of OTHER_SOURCES) {
      const v = group[k];
      if (Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== '') meta.otherKeySources.push(`key_groups[${i}].${k}`);
    }
    return ageEntries(group.age, `sops.key_groups[${i}].age`, source);
  });
  if (groups.length === 0) return;
  const raw = o.shamir_threshold;
  // sops sets the threshold to the number of groups when the rule names none.
  const threshold = raw === undefined || raw === null || raw === '' || Number(raw) === 0 ? groups.length : Number(raw);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > groups.length) {
    throw new InputError(`failed to read sops metadata of ${source}: shamir_threshold ${String(raw)} does not fit ${groups.length} key groups`);
  }
  meta.keyGroups = groups;
  meta.shamirThreshold = threshold;
}

/** Every age recipient of a file, in key groups or not. */
export function metadataRecipients(meta: SopsMetadata): string[] {
  return (meta.keyGroups ?? [meta.age]).flat().map((e) => e.recipient);
}

/** The metadata as a plain object in the key order sops 3.13 writes (for JSON and rendering). */
export function metadataObject(meta: SopsMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const entries = (list: SopsAgeEntry[]): Record<string, string>[] => list.map((e) => ({ enc: e.enc, recipient: e.recipient }));
  if (!meta.keyGroups) out.age = entries(meta.age);
  for (const k of ['encrypted_comment_regex', 'encrypted_regex', 'encrypted_suffix'] as const) if (meta[k]) out[k] = meta[k];
  // sops writes an empty hc_vault list in every group (that field has no omitempty).
  if (meta.keyGroups) out.key_groups = meta.keyGroups.map((g) => ({ age: entries(g), hc_vault: [] }));
  out.lastmodified = meta.lastmodified;
  out.mac = meta.mac;
  if (meta.mac_only_encrypted) out.mac_only_encrypted = true;
  if (meta.keyGroups) out.shamir_threshold = meta.shamirThreshold ?? meta.keyGroups.length;
  for (const k of ['unencrypted_comment_regex', 'unencrypted_regex', 'unencrypted_suffix'] as const) if (meta[k]) out[k] = meta[k];
  out.version = meta.version;
  return out;
}

/** A YAML scalar for metadata: plain when that reads back as the same string, else double-quoted. */
function yamlString(s: string): string {
  const plainSafe =
    /^[A-Za-z0-9^$(|)\\[\]_.+*?{},/=-][^\n\r#]*$/.test(s) &&
    !/[:]\s|\s$|^[-?:,[\]{}#&*!|>'"%@`]/.test(s) &&
    !/^(true|false|null|~|yes|no|on|off|[-+]?(\d[\d_]*(\.\d*)?|\.\d+)([eE][-+]?\d+)?|0x[0-9a-fA-F]+|0o[0-7]+|\.inf|\.nan)$/i.test(s);
  return plainSafe ? s : JSON.stringify(s);
}

/**
 * Renders `sops:` and its block for the end of a YAML document, indented by `unit` and with
 * `eol` line endings, ending with `eol`.
 */
export function renderMetadataYaml(meta: SopsMetadata, unit: string, eol: string): string {
  const lines: string[] = ['sops:'];
  const pad = (n: number): string => ' '.repeat(n);
  const u = unit.length;
  // sops (yaml.v3, indent 4) puts a list's dash one unit in and the block of `enc` one unit
  // further; at least 4 columns past the dash keeps the block valid for any unit.
  const ageList = (entries: SopsAgeEntry[], dash: number): void => {
    for (const e of entries) {
      lines.push(`${pad(dash)}- enc: |`);
      for (const l of e.enc.replace(/\r?\n$/, '').split(/\r?\n/)) lines.push(pad(dash + Math.max(u, 4)) + l);
      lines.push(`${pad(dash + 2)}recipient: ${yamlString(e.recipient)}`);
    }
  };
  const obj = metadataObject(meta);
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'age') {
      lines.push(`${unit}age:`);
      ageList(meta.age, 2 * u);
    } else if (k === 'key_groups') {
      lines.push(`${unit}key_groups:`);
      for (const g of meta.keyGroups ?? []) {
        lines.push(`${pad(2 * u)}- age:`);
        ageList(g, 3 * u);
        lines.push(`${pad(2 * u + 2)}hc_vault: []`);
      }
    } else if (k === 'lastmodified') lines.push(`${unit}${k}: ${JSON.stringify(v)}`);
    else if (typeof v === 'boolean' || typeof v === 'number') lines.push(`${unit}${k}: ${String(v)}`);
    else lines.push(`${unit}${k}: ${yamlString(String(v))}`);
  }
  return lines.join(eol) + eol;
}

/** Renders `"sops": {…}` for a JSON document, nested one level under `unit`. */
export function renderMetadataJson(meta: SopsMetadata, unit: string, eol: string): string {
  const body = JSON.stringify(metadataObject(meta), null, unit).split('\n').join(eol + unit);
  return `"sops": ${body}`;
}

/** The current time as sops records it: RFC 3339, UTC, whole seconds. */
export function nowLastModified(now: Date = new Date()): string {
  return now.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The selection rules a file was sealed with: its metadata without keys, MAC and version. */
export function rulesOf(meta: SopsMetadata): SelectionRules {
  const { age: _a, keyGroups: _g, shamirThreshold: _t, lastmodified: _l, mac: _m, version: _v, otherKeySources: _o, ...rules } = meta;
  return rules;
}
