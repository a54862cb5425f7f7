/**
 * Helpers of the apply stage: bounded parallelism and the drift comparison.
 */
import { stableJson } from '../../util/record.js';

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first error after all settle. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let firstError: unknown;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw firstError;
}

/** A copy without what changes on every read or write and says nothing about drift. */
function comparable(obj: unknown): unknown {
  const o = JSON.parse(JSON.stringify(obj)) as { metadata?: Record<string, unknown> };
  const meta = o.metadata;
  if (meta) {
    delete meta.resourceVersion;
    delete meta.generation;
    if (Array.isArray(meta.managedFields)) {
      for (const f of meta.managedFields as Record<string, unknown>[]) delete f.time;
    }
  }
  return o;
}

/** Whether the dry-run result equals the live object (key order ignored). */
export function sameObject(dryRun: unknown, live: unknown): boolean {
  return stableJson(comparable(dryRun)) === stableJson(comparable(live));
}
