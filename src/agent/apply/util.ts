/**
 * Helpers of the apply stage: the drift comparison.
 */
import { stableJson } from '../../util/record.js';

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
