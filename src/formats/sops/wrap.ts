/** Wrapping one data key for a list of recipients, reusing entries that already exist. */
import { wrapDataKey } from '../../crypto/index.js';
import type { SopsAgeEntry } from './metadata.js';

/**
 * One age entry per recipient, in the given order. An entry from `existing` is kept as it is
 * when its recipient stays (the caller guarantees it wraps the same data key), so a rekey that
 * adds a recipient leaves the other entries' bytes unchanged.
 */
export async function wrapAll(dataKey: Uint8Array, recipients: readonly string[], existing: readonly SopsAgeEntry[]): Promise<SopsAgeEntry[]> {
  const old = new Map(existing.map((e) => [e.recipient, e.enc]));
  return Promise.all(
    recipients.map(async (recipient) => ({ recipient, enc: old.get(recipient) ?? (await wrapDataKey(dataKey, recipient)) })),
  );
}
