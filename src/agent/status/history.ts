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
import { redactText } from '../redact/index.js';
import { stableJson } from '../../util/record.js';
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
  return { ...rest, dataKeys: keys };
}

/**
 * `sha256:<hex>` over the applied inventory and the built objects, with no secret value in what
 * is hashed (see the module comment). `secrets` are the values this reconcile decrypted or read.
 */
export function appliedDigest(entries: readonly InventoryEntry[], objects: readonly KubeObject[], secrets: readonly string[]): string {
  const hash = createHash('sha256');
  for (const e of [...entries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) hash.update(`${e.id} ${e.v}\n`);
  const parts = objects.map((o) => createHash('sha256').update(redactText(stableJson(withoutSecretValues(o)), secrets)).digest('hex')).sort();
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
