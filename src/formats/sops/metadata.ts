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
  age: SopsAgeEntry[];
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
const OTHER_SOURCES = ['kms', 'gcp_kms', 'azure_kv', 'hc_vault', 'pgp', 'key_groups'];

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
  const age: SopsAgeEntry[] = [];
  if (o.age !== undefined && o.age !== null) {
    if (!Array.isArray(o.age)) throw new InputError(`failed to read sops metadata of ${source}: sops.age is not a list`);
    for (const [i, e] of (o.age as unknown[]).entries()) {
      const entry = e as Record<string, unknown> | null;
      if (!entry || typeof entry.recipient !== 'string' || typeof entry.enc !== 'string') {
        throw new InputError(`failed to read sops metadata of ${source}: sops.age[${i}] needs recipient and enc`);
      }
      age.push({ recipient: entry.recipient, enc: entry.enc });
    }
  }
  const otherKeySources = OTHER_SOURCES.filter((k) => {
    const v = o[k];
    return Array.isArray(v) ? v.length > 0 : v !== undefined && v !== null && v !== '';
  });
  const meta: SopsMetadata = { age, lastmodified, mac, version: str(o.version) ?? '', otherKeySources };
  for (const k of RULE_KEYS) {
    const v = o[k];
    if (v === undefined || v === null || v === '') continue;
    if (typeof v !== 'string') throw new InputError(`failed to read sops metadata of ${source}: ${k} is not a string`);
    meta[k] = v;
  }
  const moe = o.mac_only_encrypted;
  if (moe === true || moe === 'true') meta.mac_only_encrypted = true;
  if (o.shamir_threshold !== undefined && o.shamir_threshold !== null && Number(o.shamir_threshold) > 1) {
    throw new InputError(`failed to read sops metadata of ${source}: shamir key groups are not supported`);
  }
  return meta;
}

/** The metadata as a plain object in the key order sops 3.13 writes (for JSON and rendering). */
export function metadataObject(meta: SopsMetadata): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  out.age = meta.age.map((e) => ({ enc: e.enc, recipient: e.recipient }));
  for (const k of ['encrypted_comment_regex', 'encrypted_regex', 'encrypted_suffix'] as const) if (meta[k]) out[k] = meta[k];
  out.lastmodified = meta.lastmodified;
  out.mac = meta.mac;
  if (meta.mac_only_encrypted) out.mac_only_encrypted = true;
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
  const lines: string[] = ['sops:', `${unit}age:`];
  for (const e of meta.age) {
    lines.push(`${unit}${unit}- enc: |`);
    const encLines = e.enc.replace(/\r?\n$/, '').split(/\r?\n/);
    for (const l of encLines) lines.push(`${unit}${unit}${unit}${unit}${l}`);
    lines.push(`${unit}${unit}  recipient: ${yamlString(e.recipient)}`);
  }
  const obj = metadataObject(meta);
  for (const [k, v] of Object.entries(obj)) {
    if (k === 'age') continue;
    if (k === 'lastmodified') lines.push(`${unit}${k}: ${JSON.stringify(v)}`);
    else if (typeof v === 'boolean') lines.push(`${unit}${k}: ${v}`);
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
