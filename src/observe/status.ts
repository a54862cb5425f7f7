/**
 * `sealops status`: every Sync of one or several clusters (kubeconfig contexts), read-only.
 * Which commit each cluster runs, whether that is the head of its branch in git, when it last
 * changed, drift, health, the key sets in use and the agent's version.
 *
 * Nothing here fails the whole table: a context that cannot be reached is one row with its
 * error, a repository that cannot be read makes that Sync's git column `unknown`. Status is all
 * it reads (never a Secret), so nothing it prints can hold a secret value.
 */
import { describe } from '../errors.js';
import { KubeApiError, KubeClient } from '../kube/client.js';
import { listKubeContexts, loadKubeConnection } from '../kube/config.js';
import { remoteHead } from '../git/remote-head.js';
import type { GitRef } from '../git/source.js';
import { parseSyncSpec, syncsPath, type SyncObject } from '../agent/sync.js';

/** Whether the applied commit is the head of the Sync's ref in git. */
export type GitPosition = 'current' | 'behind' | 'unknown';

/** One Sync, as `sealops status` shows it. */
export interface SyncRow {
  readonly context: string;
  /** The kubeconfig cluster the context names. */
  readonly cluster?: string;
  readonly namespace: string;
  readonly name: string;
  /** The Ready condition's status (`Unknown` when there is none yet). */
  readonly ready: 'True' | 'False' | 'Unknown';
  /** The Ready condition's reason. */
  readonly reason?: string;
  readonly suspended: boolean;
  /** `status.lastAppliedRevision` (`<ref>@sha1:<commit>`). */
  readonly revision?: string;
  /** The head of the Sync's ref in git, when it could be read. */
  readonly head?: string;
  readonly git: GitPosition;
  /** Why `git` is `unknown`. */
  readonly gitError?: string;
  /** When the applied revision last changed (`status.history[0].firstAppliedTime`, else `lastAppliedTime`). */
  readonly lastChange?: string;
  /** Objects that differed from git at the last drift check; absent when none ran. */
  readonly drift?: number;
  /** The Healthy condition's status; absent without `spec.wait`. */
  readonly health?: 'True' | 'False' | 'Unknown';
  /** Objects the last health check found not ready (`Kind namespace/name`). */
  readonly unhealthy: readonly string[];
  readonly keysInUse: readonly string[];
  readonly agentVersion?: string;
}

/** A context whose Syncs could not be listed. */
export interface ContextFailure {
  readonly context: string;
  readonly error: string;
}

/** What {@link collectStatus} found. */
export interface FleetStatus {
  readonly syncs: SyncRow[];
  readonly failures: ContextFailure[];
}

/** Options of {@link collectStatus}. */
export interface StatusOptions {
  /** A kubeconfig file or `:` list (default `$KUBECONFIG`, then ~/.kube/config). */
  readonly kubeconfig?: string;
  /** Contexts to read (default: the current one). */
  readonly contexts?: readonly string[];
  /** Every context of the kubeconfig. */
  readonly allContexts?: boolean;
  /** Only Syncs of this namespace (default: all namespaces). */
  readonly namespace?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Limit of each `git ls-remote` (default 15 s). */
  readonly gitTimeoutMs?: number;
}

function commitOf(revision: string | undefined): string | undefined {
  return revision?.split('@sha1:')[1];
}

function conditionStatus(sync: SyncObject, type: string): 'True' | 'False' | 'Unknown' | undefined {
  const c = sync.status?.conditions?.find((x) => x.type === type);
  return c?.status === 'True' || c?.status === 'False' || c?.status === 'Unknown' ? c.status : undefined;
}

/** Reads the heads of the Syncs' refs, once per repository and ref. */
class Heads {
  private readonly seen = new Map<string, Promise<{ head?: string; error?: string }>>();
  constructor(private readonly options: StatusOptions) {}

  get(url: string, ref: GitRef): Promise<{ head?: string; error?: string }> {
    const key = JSON.stringify([url, ref.branch, ref.tag, ref.commit]);
    let p = this.seen.get(key);
    if (!p) {
      p = remoteHead(url, ref, { env: this.options.env, ...(this.options.gitTimeoutMs ? { timeoutMs: this.options.gitTimeoutMs } : {}) }).then(
        (head) => ({ head }),
        (err: unknown) => ({ error: describe(err) }),
      );
      this.seen.set(key, p);
    }
    return p;
  }
}

async function row(sync: SyncObject, context: string, cluster: string | undefined, heads: Heads): Promise<SyncRow> {
  const status = sync.status ?? {};
  const revision = typeof status.lastAppliedRevision === 'string' ? status.lastAppliedRevision : undefined;
  let suspended = false;
  let git: GitPosition = 'unknown';
  let head: string | undefined;
  let gitError: string | undefined;
  try {
    const spec = parseSyncSpec(sync.spec);
    suspended = spec.suspend;
    const found = await heads.get(spec.source.url, spec.source.ref);
    head = found.head;
    gitError = found.error;
    const applied = commitOf(revision);
    if (head) git = applied === head ? 'current' : 'behind';
  } catch (err) {
    gitError = describe(err);
  }
  const history = Array.isArray(status.history) ? status.history : [];
  const top = history[0];
  const lastChange = top && top.revision === revision && typeof top.firstAppliedTime === 'string' ? top.firstAppliedTime : status.lastAppliedTime;
  const ready = sync.status?.conditions?.find((c) => c.type === 'Ready');
  const health = conditionStatus(sync, 'Healthy');
  // status.health outlives spec.wait; without a Healthy condition it is stale.
  const unhealthy = health && Array.isArray(status.health?.unhealthy) ? status.health.unhealthy.map((u) => `${u.kind} ${u.namespace ? `${u.namespace}/` : ''}${u.name}`) : [];
  return {
    context,
    ...(cluster ? { cluster } : {}),
    namespace: sync.metadata.namespace,
    name: sync.metadata.name,
    ready: conditionStatus(sync, 'Ready') ?? 'Unknown',
    ...(ready?.reason ? { reason: ready.reason } : {}),
    suspended,
    ...(revision ? { revision } : {}),
    ...(head ? { head } : {}),
    git,
    ...(gitError && git === 'unknown' ? { gitError } : {}),
    ...(lastChange ? { lastChange } : {}),
    ...(Array.isArray(status.drift?.objects) ? { drift: status.drift.objects.length } : {}),
    ...(health ? { health } : {}),
    unhealthy,
    keysInUse: Array.isArray(status.keysInUse) ? status.keysInUse.filter((k) => typeof k === 'string') : [],
    ...(typeof status.agentVersion === 'string' ? { agentVersion: status.agentVersion } : {}),
  };
}

/**
 * The Syncs of `namespace`, else of every namespace; a user allowed to list only their own
 * namespace (a tenant) gets the Syncs of the context's namespace instead of an error.
 */
async function listSyncs(client: KubeClient, namespace: string | undefined, contextNamespace: string | undefined): Promise<{ items?: SyncObject[] }> {
  const list = (ns: string | undefined): Promise<{ items?: SyncObject[] }> =>
    client.request('GET', syncsPath(ns), { timeoutMs: 20_000 });
  if (namespace) return list(namespace);
  try {
    return await list(undefined);
  } catch (err) {
    if (err instanceof KubeApiError && err.status === 403 && contextNamespace) return list(contextNamespace);
    throw err;
  }
}

/** The contexts to read: the ones named, every one, or the current one. */
function chooseContexts(options: StatusOptions): { name: string; cluster?: string }[] {
  const { current, contexts } = listKubeContexts({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), ...(options.env ? { env: options.env } : {}) });
  const byName = new Map(contexts.map((c) => [c.name, c]));
  if (options.allContexts) return contexts;
  const names = options.contexts?.length ? [...new Set(options.contexts)] : current ? [current] : [];
  return names.map((name) => byName.get(name) ?? { name });
}

/**
 * Every Sync of the chosen contexts, in context, namespace and name order, with the head of
 * each one's ref read from git. Throws only when the kubeconfig itself cannot be read.
 */
export async function collectStatus(options: StatusOptions = {}): Promise<FleetStatus> {
  const heads = new Heads(options);
  const failures: ContextFailure[] = [];
  const perContext = await Promise.all(
    chooseContexts(options).map(async (ctx) => {
      let client: KubeClient | undefined;
      try {
        const conn = loadKubeConnection({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), context: ctx.name, ...(options.env ? { env: options.env } : {}) });
        client = new KubeClient(conn);
        const list = await listSyncs(client, options.namespace, conn.namespace);
        const items = [...(list.items ?? [])].sort((a, b) => {
          const ka = `${a.metadata.namespace}/${a.metadata.name}`;
          const kb = `${b.metadata.namespace}/${b.metadata.name}`;
          return ka < kb ? -1 : ka > kb ? 1 : 0;
        });
        return await Promise.all(items.map((s) => row(s, ctx.name, ctx.cluster, heads)));
      } catch (err) {
        failures.push({ context: ctx.name, error: describe(err) });
        return [];
      } finally {
        client?.close();
      }
    }),
  );
  return { syncs: perContext.flat(), failures: failures.sort((a, b) => (a.context < b.context ? -1 : a.context > b.context ? 1 : 0)) };
}
