/**
 * `status.history`: the last applied revisions of a Sync, newest first, as Flux keeps them.
 *
 * The digest says whether two applies put the same objects into the cluster, without being a
 * way to learn a secret value. It hashes:
 * - the inventory (ids and API versions of the applied objects);
 * - every built object as stable JSON, where a Secret's `data` and `stringData` are reduced to
 *   their sorted key names, and every value decrypted or read from a Secret during the reconcile
 *   is replaced by a marker (a value substituted into a ConfigMap by `postBuild.substituteFrom`
 *   a Secret is covered too).
 * So no digest depends on a secret byte: a low-entropy password cannot be guessed by hashing
 * candidates, and a re-seal that kept every value (new ciphertext, same plaintext) keeps the digest.
 * A changed secret value changes the revision, not the digest.
 */
import { createHash } from 'node:crypto';
import type { KubeObject } from '../../build/index.js';
import type { InventoryEntry } from '../inventory.js';
import { SEALED_DIGESTS_ANNOTATION } from '../drift/sealed-digests.js';
import { isRecord, stableJson } from '../../util/record.js';
import { HISTORY_LIMIT, type HistoryEntry } from '../sync.js';

/** What one successful apply contributes to the history. */
export interface AppliedRevision {
  readonly revision: string;
  readonly counts: HistoryEntry['counts'];
  readonly digest: string;
}

/** The object with a Secret's values reduced to its key names; other objects as they are. */
function withoutSecretValues(obj: KubeObject): unknown {
  if (obj.kind !== 'Secret' || obj.apiVersion !== 'v1') return obj;
  const { data, stringData, ...rest } = obj as KubeObject & { data?: Record<string, unknown>; stringData?: Record<string, unknown> };
  const keys = [...new Set([...Object.keys(data ?? {}), ...Object.keys(stringData ?? {})])].sort();
  // The ciphertext digests move with every new value: like the values, they stay out.
  const annotations = { ...(rest.metadata.annotations as Record<string, unknown> | undefined) };
  delete annotations[SEALED_DIGESTS_ANNOTATION];
  return { ...rest, metadata: { ...rest.metadata, annotations }, dataKeys: keys };
}

const MARK = '[secret]';

function pairHash(t: string, i: number): number {
  return ((t.charCodeAt(i) * 31) ^ t.charCodeAt(i + 1)) & 0xffff;
}

/**
 * Masks secret values in strings in time linear in the text, whatever the number of secrets
 * (cutting each secret out with split/join costs secrets × text: seconds for a large
 * repository). Values of 4 characters or more (and their base64 form) are found by their first
 * four characters and cut out; a string holding a shorter one is masked whole, as redactText does.
 */
class SecretMask {
  private readonly byPrefix = new Map<string, string[]>();
  private readonly short: string[] = [];
  /** Hashes of the first two characters of every long needle: most positions are rejected here, without a string slice. */
  private readonly pairs = new Uint8Array(65536);

  constructor(secrets: readonly string[]) {
    const needles = new Set<string>();
    for (const s of secrets) {
      if (s === '') continue;
      needles.add(s);
      needles.add(Buffer.from(s, 'utf8').toString('base64'));
    }
    for (const n of needles) {
      if (n.length < 4) this.short.push(n);
      else {
        this.byPrefix.set(n.slice(0, 4), [...(this.byPrefix.get(n.slice(0, 4)) ?? []), n]);
        this.pairs[pairHash(n, 0)] = 1;
      }
    }
    // Longest first, so a secret that contains another is cut out whole.
    for (const list of this.byPrefix.values()) list.sort((a, b) => b.length - a.length);
  }

  text(t: string): string {
    if (this.short.some((n) => t.includes(n))) return MARK;
    if (this.byPrefix.size === 0 || t.length < 4) return t;
    let out = '';
    let last = 0;
    for (let i = 0; i + 4 <= t.length; ) {
      const hit = this.pairs[pairHash(t, i)] ? this.byPrefix.get(t.slice(i, i + 4))?.find((n) => t.startsWith(n, i)) : undefined;
      if (hit) {
        out += t.slice(last, i) + MARK;
        i += hit.length;
        last = i;
      } else i++;
    }
    return last === 0 ? t : out + t.slice(last);
  }

  /** `v` with every string (keys included) masked. */
  value(v: unknown): unknown {
    if (typeof v === 'string') return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.value(x));
    if (isRecord(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [this.text(k), this.value(x)]));
    return v;
  }
}

/**
 * `sha256:<hex>` over the applied inventory and the built objects, with no secret value in what
 * is hashed (see the module comment). `secrets` are the values this reconcile decrypted or read.
 */
export function appliedDigest(entries: readonly InventoryEntry[], objects: readonly KubeObject[], secrets: readonly string[]): string {
  const mask = new SecretMask(secrets);
  const hash = createHash('sha256');
  for (const e of [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) hash.update(`${e.id} ${e.v}\n`);
  const parts = objects.map((o) => createHash('sha256').update(stableJson(mask.value(withoutSecretValues(o)))).digest('hex')).sort();
  for (const p of parts) hash.update(`${p}\n`);
  return `sha256:${hash.digest('hex')}`;
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

/** Entries of an untrusted `status.history` value that have the expected shape. */
export function readHistory(value: unknown): HistoryEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter((e): e is HistoryEntry => {
    if (typeof e !== 'object' || e === null) return false;
    const h = e as Partial<HistoryEntry>;
    const c = h.counts as Partial<HistoryEntry['counts']> | undefined;
    return (
      typeof h.revision === 'string' &&
      typeof h.firstAppliedTime === 'string' &&
      typeof h.lastAppliedTime === 'string' &&
      isCount(h.applies) &&
      typeof h.digest === 'string' &&
      !!c &&
      isCount(c.created) &&
      isCount(c.configured) &&
      isCount(c.unchanged) &&
      isCount(c.deleted)
    );
  });
}

/**
 * The history after `applied` was applied at `now`: the same revision and digest as the newest
 * entry updates that entry (`lastAppliedTime`, `applies`); anything else is a new entry on top,
 * and the oldest fall off past {@link HISTORY_LIMIT}. The same commit applied with another spec
 * (another path, say) has another digest, so it gets its own entry.
 */
export function nextHistory(previous: unknown, applied: AppliedRevision, now: string): HistoryEntry[] {
  const history = readHistory(previous);
  const top = history[0];
  if (top && top.revision === applied.revision && top.digest === applied.digest) {
    return [{ ...top, lastAppliedTime: now, applies: top.applies + 1 }, ...history.slice(1)];
  }
  const entry: HistoryEntry = { revision: applied.revision, firstAppliedTime: now, lastAppliedTime: now, applies: 1, counts: { ...applied.counts }, digest: applied.digest };
  return [entry, ...history].slice(0, HISTORY_LIMIT);
}
