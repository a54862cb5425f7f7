/**
 * `sealops history SYNC`: the revisions a Sync applied, newest first, from `status.history`.
 * Rolling back stays a `git revert`; this says what ran when.
 */
import { KubeApiError, KubeClient } from '../kube/client.js';
import { loadKubeConnection } from '../kube/config.js';
import { KubeError } from '../errors.js';
import { readHistory } from '../agent/status/history.js';
import { syncsPath, type HistoryEntry, type SyncObject } from '../agent/sync.js';

/** Options of {@link readSyncHistory}. */
export interface HistoryOptions {
  readonly name: string;
  /** Default: the context's namespace, else `default` (as kubectl). */
  readonly namespace?: string;
  readonly kubeconfig?: string;
  readonly context?: string;
  readonly env?: NodeJS.ProcessEnv;
}

/** A Sync's history. */
export interface SyncHistory {
  readonly namespace: string;
  readonly name: string;
  /** `status.lastAppliedRevision`. */
  readonly revision?: string;
  readonly entries: HistoryEntry[];
}

/** Reads the history of one Sync. Throws KubeError naming the Sync when it cannot be read. */
export async function readSyncHistory(options: HistoryOptions): Promise<SyncHistory> {
  const conn = loadKubeConnection({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), ...(options.context ? { context: options.context } : {}), ...(options.env ? { env: options.env } : {}) });
  const namespace = options.namespace ?? conn.namespace ?? 'default';
  const client = new KubeClient(conn);
  try {
    const sync = await client.request<SyncObject>('GET', syncsPath(namespace, options.name));
    const revision = sync.status?.lastAppliedRevision;
    return { namespace, name: options.name, ...(typeof revision === 'string' ? { revision } : {}), entries: readHistory(sync.status?.history) };
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 404) throw new KubeError(`failed to read Sync ${namespace}/${options.name}: not found`, { cause: err, hint: 'pass -n NAMESPACE, or list Syncs with sealops status' });
    throw err;
  } finally {
    client.close();
  }
}
