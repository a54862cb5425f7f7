/**
 * Prune stage: delete objects that left git, in reverse apply order.
 *
 * An object is deleted only when it still carries this Sync's ownership labels and is not
 * annotated `sealops.dev/prune: disabled`. The caller runs this only after source, build,
 * decrypt and apply all succeeded; this module adds the mass-deletion guard.
 */
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { resourcePath, type Discovery } from '../../kube/discovery.js';
import { parseInventoryId, type InventoryEntry } from '../inventory.js';
import { compareApplyOrder } from '../apply/order.js';
import { OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from '../apply/index.js';

/** Annotation that keeps an object from ever being pruned. */
export const PRUNE_ANNOTATION = 'sealops.dev/prune';

/** Why a stale object was kept. */
export type KeptReason = 'PruneDisabled' | 'NotOwned' | 'Gone' | 'UnknownKind';

/** Result of {@link pruneStale}. */
export interface PruneResult {
  readonly deleted: InventoryEntry[];
  /** Stale objects left alone, with why ('Gone' ones are simply forgotten). */
  readonly kept: { entry: InventoryEntry; reason: KeptReason }[];
  /** Set when the guard refused to delete anything. */
  readonly blocked?: { stale: number; inventory: number; maxPercent: number };
  /** Per-object delete failures (message from the API server). */
  readonly failures: { entry: InventoryEntry; message: string }[];
}

/** Options of {@link pruneStale}. */
export interface PruneOptions {
  readonly owner: { readonly namespace: string; readonly name: string };
  /** Size of the previous inventory, the base of the percentage. */
  readonly inventorySize: number;
  readonly maxDeletionPercent: number;
  readonly allowMassDeletion: boolean;
}

/** Whether deleting `stale` of `inventory` objects crosses the guard. */
export function exceedsDeletionGuard(stale: number, inventory: number, maxPercent: number): boolean {
  if (stale === 0 || inventory === 0) return false;
  return stale * 100 > inventory * maxPercent;
}

/** Deletes `stale` objects (entries of the previous inventory no longer in git). */
export async function pruneStale(client: KubeClient, discovery: Discovery, stale: readonly InventoryEntry[], options: PruneOptions): Promise<PruneResult> {
  if (options.inventorySize > 0 && !options.allowMassDeletion && exceedsDeletionGuard(stale.length, options.inventorySize, options.maxDeletionPercent)) {
    return { deleted: [], kept: [], blocked: { stale: stale.length, inventory: options.inventorySize, maxPercent: options.maxDeletionPercent }, failures: [] };
  }
  const keyed = stale
    .map((entry) => ({ entry, key: parseInventoryId(entry.id)! }))
    .filter((x) => x.key)
    .sort((a, b) => -compareApplyOrder(a.key, b.key));
  const deleted: InventoryEntry[] = [];
  const kept: PruneResult['kept'] = [];
  const failures: PruneResult['failures'] = [];
  for (const { entry, key } of keyed) {
    const apiVersion = key.group ? `${key.group}/${entry.v.includes('/') ? entry.v.split('/')[1] : entry.v}` : entry.v;
    const info = await discovery.resolve(apiVersion, key.kind);
    if (!info) {
      kept.push({ entry, reason: 'UnknownKind' });
      continue;
    }
    const path = resourcePath(info, key.namespace || undefined, key.name);
    let live: { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; uid?: string } };
    try {
      live = await client.request('GET', path);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) {
        kept.push({ entry, reason: 'Gone' });
        continue;
      }
      failures.push({ entry, message: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const labels = live.metadata?.labels ?? {};
    if (labels[OWNER_NAME_LABEL] !== options.owner.name || labels[OWNER_NAMESPACE_LABEL] !== options.owner.namespace) {
      kept.push({ entry, reason: 'NotOwned' });
      continue;
    }
    if (live.metadata?.annotations?.[PRUNE_ANNOTATION] === 'disabled') {
      kept.push({ entry, reason: 'PruneDisabled' });
      continue;
    }
    try {
      // The uid precondition makes sure we delete the object we just checked, not a newcomer.
      await client.request('DELETE', path, { body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background', preconditions: { uid: live.metadata?.uid } } });
      deleted.push(entry);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) kept.push({ entry, reason: 'Gone' });
      else failures.push({ entry, message: err instanceof Error ? err.message : String(err) });
    }
  }
  return { deleted, kept, failures };
}
