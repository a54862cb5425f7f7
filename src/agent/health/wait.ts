/**
 * Reading back the objects of a change set until they are ready, fail, or the caller's signal
 * ends the wait (the reconcile's deadline, the end of the leader's term, shutdown). It polls:
 * one GET per object still pending, with a short, growing pause between rounds.
 */
import { groupOf } from '../../build/index.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { resourcePath, type Discovery } from '../../kube/discovery.js';
import { mapLimit } from '../../util/pool.js';
import { parseInventoryId, type InventoryEntry } from '../inventory.js';
import type { UnhealthyObject } from '../sync.js';
import { readiness, type Readiness } from './kstatus.js';

/** The verdict on one object of the change set. */
export interface ObjectHealth {
  readonly entry: InventoryEntry;
  readonly readiness: Readiness;
}

/** Options of {@link waitForReady}. */
export interface WaitOptions {
  /** Ends the wait; objects still pending keep their last verdict. */
  readonly signal: AbortSignal;
  /** Look once and return, without waiting (a re-check of objects that were not ready). */
  readonly once?: boolean;
  /** First pause between rounds (default 500 ms); it grows to 4 s. */
  readonly pollMs?: number;
  /** Parallel GETs (default 8). */
  readonly concurrency?: number;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

async function look(client: KubeClient, discovery: Discovery, entry: InventoryEntry): Promise<Readiness> {
  const key = parseInventoryId(entry.id);
  if (!key) return { state: 'failed', reason: 'Missing' };
  const info = await discovery.resolve(entry.v, key.kind);
  if (!info) return { state: 'failed', reason: 'Missing' };
  try {
    const live = await client.request('GET', resourcePath(info, key.namespace, key.name));
    return readiness(groupOf(entry.v), key.kind, live);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) return { state: 'failed', reason: 'Missing' };
    throw err;
  }
}

/**
 * The readiness of every object of `entries`: looks until none is progressing, or once with
 * `once`, or until `signal` fires. A request cut short by the signal leaves the object's last
 * verdict (progressing at first). Throws only for an API error other than 404.
 */
export async function waitForReady(client: KubeClient, discovery: Discovery, entries: readonly InventoryEntry[], options: WaitOptions): Promise<ObjectHealth[]> {
  const verdicts = new Map<string, Readiness>(entries.map((e) => [e.id, { state: 'progressing', reason: 'NotReady' }]));
  let pollMs = options.pollMs ?? 500;
  for (;;) {
    const pending = entries.filter((e) => verdicts.get(e.id)!.state === 'progressing');
    try {
      await mapLimit(pending, options.concurrency ?? 8, async (e) => {
        verdicts.set(e.id, await look(client, discovery, e));
      });
    } catch (err) {
      if (!options.signal.aborted) throw err;
    }
    const stillPending = entries.some((e) => verdicts.get(e.id)!.state === 'progressing');
    if (!stillPending || options.once || options.signal.aborted) break;
    await pause(pollMs, options.signal);
    if (options.signal.aborted) break;
    pollMs = Math.min(pollMs * 2, 4000);
  }
  return entries.map((entry) => ({ entry, readiness: verdicts.get(entry.id)! }));
}

/** The objects of `results` that are not ready, as `status.health.unhealthy` lists them. */
export function unhealthyObjects(results: readonly ObjectHealth[]): UnhealthyObject[] {
  const out: UnhealthyObject[] = [];
  for (const r of results) {
    if (r.readiness.state === 'ready') continue;
    const key = parseInventoryId(r.entry.id);
    if (!key) continue;
    out.push({ apiVersion: r.entry.v, kind: key.kind, ...(key.namespace ? { namespace: key.namespace } : {}), name: key.name, reason: r.readiness.reason });
  }
  return out;
}
