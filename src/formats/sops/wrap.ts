/**
 * Wrapping one data key for the recipients of a file: a flat list of age recipients (any one
 * opens the file), or key groups, where the data key is split with Shamir into one share per
 * group and any `threshold` groups open it, exactly as sops does.
 */
import { ageRecipientOf, checkAgeRecipients, shamirCombine, shamirSplit, unwrapDataKey, wrapDataKey } from '../../crypto/index.js';
import { x25519RecipientOf } from '../../crypto/age-x25519.js';
import { describe, InputError, KeyError } from '../../errors.js';
import { encryptMac } from './mac.js';
import { metadataRecipients, nowLastModified, SOPS_FORMAT_VERSION, type SopsAgeEntry, type SopsMetadata } from './metadata.js';
import type { SelectionRules } from './policy.js';

/** Who a file is sealed for: recipients, or key groups of recipients with a Shamir threshold. */
export interface KeyPlan {
  recipients?: string[];
  /** Two or more groups split the data key; one group is the same as `recipients`. */
  keyGroups?: string[][];
  /** How many groups are needed to open (default: all of them, as sops). */
  shamirThreshold?: number;
}

/** The part of the metadata that holds wrapped keys. */
export type WrappedKeys = Pick<SopsMetadata, 'age' | 'keyGroups' | 'shamirThreshold'>;

/**
 * One age entry per recipient, in the given order. An entry from `existing` is kept as it is
 * when its recipient stays (the caller guarantees it wraps the same data key), so a rekey that
 * adds a recipient leaves the other entries' bytes unchanged.
 */
async function wrapAll(dataKey: Uint8Array, recipients: readonly string[], existing: readonly SopsAgeEntry[]): Promise<SopsAgeEntry[]> {
  const old = new Map(existing.map((e) => [e.recipient, e.enc]));
  return Promise.all(
    recipients.map(async (recipient) => ({ recipient, enc: old.get(recipient) ?? (await wrapDataKey(dataKey, recipient)) })),
  );
}

/** The plan a file's metadata was sealed with (for re-sealing it the same way). */
export function planOf(meta: WrappedKeys): KeyPlan {
  if (meta.keyGroups) return { keyGroups: meta.keyGroups.map((g) => g.map((e) => e.recipient)), shamirThreshold: meta.shamirThreshold };
  return { recipients: meta.age.map((e) => e.recipient) };
}

function sameGroups(a: readonly string[][], b: readonly string[][]): boolean {
  return a.length === b.length && a.every((g, i) => g.length === b[i]?.length && g.every((r, j) => r === b[i]?.[j]));
}

/**
 * Wraps `dataKey` for `plan`. Entries of `existing` are reused when they wrap the same thing:
 * flat entries per recipient, key groups only when the groups and threshold are unchanged
 * (a share cannot be reused under another split).
 */
export async function wrapKeys(dataKey: Uint8Array, plan: KeyPlan, existing?: WrappedKeys): Promise<WrappedKeys> {
  const groups = plan.keyGroups?.map((g) => checkAgeRecipients(g));
  if (!groups || groups.length === 0) return { age: await wrapAll(dataKey, checkAgeRecipients(plan.recipients ?? []), existing?.keyGroups ? [] : (existing?.age ?? [])) };
  if (plan.recipients && plan.recipients.some((r) => !groups.some((g) => g.includes(r)))) {
    throw new InputError('failed to choose recipients: recipients outside the key groups would open the file on their own', {
      hint: 'add them to a key group in .sops.yaml, or seal without key groups',
    });
  }
  if (groups.length === 1) return { age: await wrapAll(dataKey, groups[0] ?? [], existing?.keyGroups ? [] : (existing?.age ?? [])) };
  if (groups.some((g) => g.length === 0)) throw new InputError('failed to choose recipients: a key group has no age recipient');
  const threshold = plan.shamirThreshold === undefined || plan.shamirThreshold === 0 ? groups.length : plan.shamirThreshold;
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > groups.length) {
    throw new InputError(`failed to choose recipients: shamir_threshold ${threshold} does not fit ${groups.length} key groups`);
  }
  if (existing?.keyGroups && existing.shamirThreshold === threshold && sameGroups(planOf(existing).keyGroups ?? [], groups)) {
    return { age: [], keyGroups: existing.keyGroups, shamirThreshold: threshold };
  }
  // sops splits for any threshold of two groups or more; a threshold of 1 over several groups
  // would need Split(…, 1), which it refuses, so it is refused here too.
  const shares = shamirSplit(dataKey, groups.length, threshold);
  const keyGroups = await Promise.all(groups.map((g, i) => wrapAll(shares[i] ?? new Uint8Array(), g, [])));
  return { age: [], keyGroups, shamirThreshold: threshold };
}

/**
 * The entries with those labelled for one of `identities` first. The label is not trusted (every
 * entry is still tried); it only saves a failed X25519 exchange for each entry sealed for
 * others before it, per file of a bulk rekey with a team key.
 */
function ownFirst(entries: readonly SopsAgeEntry[], identities: readonly string[]): SopsAgeEntry[] {
  const own = new Set<string>();
  for (const id of identities) {
    if (!/^AGE-SECRET-KEY-1/i.test(id)) continue;
    try {
      own.add(x25519RecipientOf(id));
    } catch {
      // a malformed identity is reported by the unwrap itself
    }
  }
  return [...entries.filter((e) => own.has(e.recipient)), ...entries.filter((e) => !own.has(e.recipient))];
}

/**
 * Recovers the data key with `identities`: any flat entry, or enough key groups to meet the
 * threshold. Returns null when nothing matches; throws KeyError when some groups open but too
 * few, naming the groups (recipients only).
 */
export async function unwrapKeys(meta: WrappedKeys, identities: readonly string[], source: string): Promise<Uint8Array | null> {
  if (!meta.keyGroups) {
    for (const entry of ownFirst(meta.age, identities)) {
      const key = await unwrapDataKey(entry.enc, identities);
      if (key) return key;
    }
    return null;
  }
  const parts: Uint8Array[] = [];
  const opened: boolean[] = [];
  for (const group of meta.keyGroups) {
    let part: Uint8Array | null = null;
    for (const entry of ownFirst(group, identities)) {
      part = await unwrapDataKey(entry.enc, identities);
      if (part) break;
    }
    opened.push(part !== null);
    if (part) parts.push(part);
  }
  if (parts.length === 0) return null;
  const threshold = meta.shamirThreshold ?? meta.keyGroups.length;
  if (meta.keyGroups.length === 1) return parts[0] ?? null;
  if (parts.length < threshold) {
    const lines = meta.keyGroups.map((g, i) => `  - group ${i + 1} (${g.map((e) => e.recipient).join(', ')}): ${opened[i] ? 'opened' : 'no matching identity'}`);
    throw new KeyError(
      `failed to decrypt the data key of ${source}: ${parts.length} of ${meta.keyGroups.length} key groups opened, ${threshold} are needed\n${lines.join('\n')}`,
      { hint: 'pass keys of more key groups with -k FILE (repeatable)' },
    );
  }
  return shamirCombine(parts);
}

/**
 * Recovers the data key from the age entries with any of `identities`. Throws KeyError listing
 * every recipient the file is sealed for and every identity's public recipient, never a key.
 */
export async function openDataKey(meta: SopsMetadata, identities: readonly string[], source: string): Promise<Uint8Array> {
  if (metadataRecipients(meta).length === 0) {
    const other = meta.otherKeySources.length > 0 ? ` (sealed only for ${meta.otherKeySources.join(', ')})` : '';
    throw new KeyError(`failed to decrypt the data key of ${source}: no age recipients${other}`);
  }
  const key = await unwrapKeys(meta, identities, source);
  if (key) {
    if (key.length !== 32) throw new InputError(`failed to decrypt the data key of ${source}: it is ${key.length} bytes, not 32`);
    return key;
  }
  const mine: string[] = [];
  for (const id of identities) mine.push(await ageRecipientOf(id).catch((err: unknown) => `invalid identity (${describe(err)})`));
  const attempts = metadataRecipients(meta).map((r) => `  - ${r}: no matching identity`).join('\n');
  throw new KeyError(
    `failed to decrypt the data key of ${source}: no identity matches any recipient\n${attempts}\n  identities tried: ${mine.length === 0 ? 'none' : mine.join(', ')}`,
    { hint: 'pass the right key with -k FILE, or set SEALOPS_KEY_FILE / SOPS_AGE_KEY_FILE' },
  );
}

/**
 * The plan for re-sealing a file: the caller's, but never a flat recipient list in place of key
 * groups with a threshold (that would let one key open what needed several).
 */
export function keepGroups(meta: SopsMetadata, plan: KeyPlan, source: string): KeyPlan {
  if (plan.keyGroups) return plan;
  if (!plan.recipients) return planOf(meta);
  if ((meta.keyGroups?.length ?? 0) > 1 && (meta.shamirThreshold ?? 2) > 1) {
    throw new InputError(`failed to rekey ${source}: it is sealed to ${meta.keyGroups?.length} key groups with a threshold of ${meta.shamirThreshold}, and a flat recipient list would weaken it`, {
      hint: 'give the key groups (a .sops.yaml creation rule with key_groups and shamir_threshold)',
    });
  }
  return { recipients: plan.recipients };
}


/**
 * The metadata of a file sealed under `dataKey`: its `rules`, the data key wrapped for `plan`
 * (entries of `existing` that stay are kept), a new `lastmodified` and the MAC of `digest`.
 */
export async function freshMetadata(dataKey: Uint8Array, digest: string, rules: SelectionRules, plan: KeyPlan, now?: Date, existing?: WrappedKeys): Promise<SopsMetadata> {
  const keys = await wrapKeys(dataKey, plan, existing);
  const lastmodified = nowLastModified(now);
  return { ...rules, ...keys, lastmodified, mac: encryptMac(dataKey, digest, lastmodified), version: SOPS_FORMAT_VERSION, otherKeySources: [] };
}

/** The metadata of a rekeyed file: the data key wrapped for `plan` (groups kept, entries that stay kept), the rest as it was. */
export async function rewrappedMetadata(meta: SopsMetadata, dataKey: Uint8Array, plan: KeyPlan, source: string): Promise<SopsMetadata> {
  return { ...meta, ...(await wrapKeys(dataKey, keepGroups(meta, plan, source), meta)), version: SOPS_FORMAT_VERSION, otherKeySources: [] };
}
