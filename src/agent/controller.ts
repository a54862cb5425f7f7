/**
 * The controller: keeps a view of every Sync (list, then watch), and reconciles each one when
 * it is due (its interval elapsed), when its spec changed (generation moved past
 * observedGeneration), or after a failure with exponential backoff. One reconcile runs at a
 * time, so two change sets never interleave on the API server.
 */
import { describe } from '../errors.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { Discovery } from '../kube/discovery.js';
import type { Logger } from './log.js';
import { reconcileSync, type AgentContext, type ReconcileOutcome } from './reconcile.js';
import { parseSyncSpec, syncsPath, type SyncObject } from './sync.js';
import type { DecryptMemo } from './decrypt/index.js';
import type { KustomizeOptions } from '../build/kustomize.js';
import type { BuildMemo } from './render.js';
import type { ApplyCache } from './apply/index.js';
import { nextCheckInterval } from './drift/index.js';
import type { StageObserver } from './stages.js';

/** Options of the controller and of {@link reconcileAllOnce}. */
export interface ControllerOptions {
  readonly client: KubeClient;
  readonly log: Logger;
  /** Where the default keys Secret lives. */
  readonly agentNamespace: string;
  /** Watch Syncs in this namespace only (default: all namespaces). */
  readonly namespace?: string;
  /** Reconcile only Syncs whose labels match (a shard, e.g. `sealops.dev/shard=a`). */
  readonly labelSelector?: string;
  /** ServiceAccount to impersonate for Syncs without spec.serviceAccountName. */
  readonly defaultServiceAccount?: string;
  readonly workRoot: string;
  readonly concurrency?: number;
  /** First retry delay after a failure (default 5 s); doubles up to the Sync's interval. */
  readonly backoffBaseMs?: number;
  /** kustomize binary and limits. */
  readonly kustomize?: KustomizeOptions;
  /** Heap cap of the build and decrypt worker, in MiB. */
  readonly workerMemoryMb?: number;
  /** When given, reconciles run only while it returns true (leader election). */
  readonly canReconcile?: () => boolean;
  /**
   * Leader election: reconciles run only while leading, and every write of a reconcile is
   * fenced by the current term (see {@link AgentContext.leadership}).
   */
  readonly leadership?: Leadership;
  /** Called after every reconcile (metrics). */
  readonly onOutcome?: (sync: SyncObject, outcome: ReconcileOutcome, ms: number) => void;
  /** Called with the time of each stage of every reconcile (metrics). */
  readonly onStage?: StageObserver;
}

/** What the controller needs of a leader elector. */
export interface Leadership {
  isLeader(): boolean;
  leaderDeadline(): number;
  readonly termSignal: AbortSignal;
}

function context(options: ControllerOptions, discovery: Discovery): AgentContext {
  return {
    client: options.client,
    discovery,
    log: options.log,
    agentNamespace: options.agentNamespace,
    workRoot: options.workRoot,
    concurrency: options.concurrency,
    ...(options.kustomize ? { kustomize: options.kustomize } : {}),
    ...(options.workerMemoryMb ? { workerMemoryMb: options.workerMemoryMb } : {}),
    defaultServiceAccount: options.defaultServiceAccount,
    ...(options.onStage ? { onStage: options.onStage } : {}),
  };
}

/** Reconciles every Sync once, in name order. Returns each outcome; throws only when Syncs cannot be listed. */
export async function reconcileAllOnce(options: ControllerOptions): Promise<{ sync: string; outcome: ReconcileOutcome }[]> {
  const list = await options.client.request<{ items?: SyncObject[] }>('GET', syncsPath(options.namespace), { query: { labelSelector: options.labelSelector } });
  const items = [...(list.items ?? [])].sort((a, b) => {
    const ka = `${a.metadata.namespace}/${a.metadata.name}`;
    const kb = `${b.metadata.namespace}/${b.metadata.name}`;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const ctx = context(options, new Discovery(options.client));
  const out: { sync: string; outcome: ReconcileOutcome }[] = [];
  for (const sync of items) {
    const started = Date.now();
    const outcome = await reconcileSync(ctx, sync);
    options.onOutcome?.(sync, outcome, Date.now() - started);
    out.push({ sync: `${sync.metadata.namespace}/${sync.metadata.name}`, outcome });
  }
  return out;
}

/** Outcomes that say the agent stopped, not that the Sync failed. */
const INTERRUPTIONS = new Set(['LeadershipLost', 'ShuttingDown']);

/**
 * When to reconcile next: after `intervalMs` when the last attempt succeeded (`failures` 0),
 * otherwise exponential backoff from `baseMs`, doubling per consecutive failure, never past
 * the interval.
 */
export function nextAttemptAt(failures: number, intervalMs: number, baseMs: number, now: number): number {
  if (failures <= 0) return now + intervalMs;
  return now + Math.min(intervalMs, baseMs * 2 ** Math.min(failures - 1, 10));
}

/**
 * The Sync due soonest (earliest `nextAt` not after `now`), or none and how long to sleep until
 * one is (at most a minute, at least 50 ms).
 */
export function pickDue<T extends { nextAt: number }>(tracked: readonly T[], now: number): { due?: T; waitMs: number } {
  const due = tracked.filter((t) => t.nextAt <= now).sort((a, b) => a.nextAt - b.nextAt)[0];
  if (due) return { due, waitMs: 0 };
  const next = Math.min(...tracked.map((t) => t.nextAt), now + 60_000);
  return { waitMs: Math.max(50, next - now) };
}

interface Tracked {
  sync: SyncObject;
  nextAt: number;
  failures: number;
  reconciledGeneration: number | undefined;
}

/** The long-running agent loop. */
export class Controller {
  private readonly tracked = new Map<string, Tracked>();
  private readonly abort = new AbortController();
  private readonly discovery: Discovery;
  private discoveredAt = Date.now();
  private readonly applyCaches = new Map<string, ApplyCache>();
  private readonly decryptMemos = new Map<string, { keys: string; memo: DecryptMemo }>();
  private readonly buildMemos = new Map<string, BuildMemo>();
  /** What every reconcile of this controller runs with (caches kept across reconciles). */
  private readonly ctx: AgentContext;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private watcher: Promise<void> | undefined;
  /** True once the first list of Syncs succeeded (readiness). */
  ready = false;

  constructor(private readonly options: ControllerOptions) {
    this.discovery = new Discovery(options.client);
    this.ctx = { ...context(options, this.discovery), applyCaches: this.applyCaches, decryptMemos: this.decryptMemos, buildMemos: this.buildMemos, signal: this.abort.signal };
  }

  private mayReconcile(): boolean {
    if (this.options.leadership && !this.options.leadership.isLeader()) return false;
    return !this.options.canReconcile || this.options.canReconcile();
  }

  /** The context of one reconcile: fenced by the leadership term current when it starts. */
  private reconcileContext(): AgentContext {
    const l = this.options.leadership;
    if (!l) return this.ctx;
    return { ...this.ctx, leadership: { signal: l.termSignal, canWrite: () => l.isLeader(), deadline: () => l.leaderDeadline() } };
  }

  /** Starts listing, watching and reconciling. */
  start(): void {
    this.watcher = this.watchLoop();
    this.loop = this.reconcileLoop();
  }

  /** Stops: the reconcile in progress is abandoned at its next request (graceful shutdown). */
  async stop(): Promise<void> {
    this.abort.abort();
    this.wake?.();
    await Promise.allSettled([this.loop, this.watcher]);
  }

  /**
   * Makes due now every Sync whose source URL matches one of `urls` (after normalizing with
   * `normalize`); returns how many matched. Used by the push webhook.
   */
  trigger(urls: readonly string[], normalize: (u: string) => string): number {
    const wanted = new Set(urls.map(normalize));
    let n = 0;
    for (const t of this.tracked.values()) {
      const url = (t.sync.spec as { source?: { url?: unknown } } | undefined)?.source?.url;
      if (typeof url === 'string' && wanted.has(normalize(url))) {
        t.nextAt = 0;
        n++;
      }
    }
    if (n) this.wake?.();
    return n;
  }

  /** The Syncs this controller manages, as last listed or watched (status included), in name order. */
  syncs(): SyncObject[] {
    return [...this.tracked.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, t]) => t.sync);
  }

  private key(s: SyncObject): string {
    return `${s.metadata.namespace}/${s.metadata.name}`;
  }

  private upsert(sync: SyncObject): void {
    const key = this.key(sync);
    const old = this.tracked.get(key);
    if (!old) {
      this.tracked.set(key, { sync, nextAt: 0, failures: 0, reconciledGeneration: undefined });
    } else {
      // A spec change makes the Sync due now; our own status writes do not move generation.
      if (sync.metadata.generation !== old.reconciledGeneration && sync.metadata.generation !== old.sync.metadata.generation) {
        // A new spec starts afresh: due now, backoff forgotten.
        old.nextAt = 0;
        old.failures = 0;
      }
      old.sync = sync;
    }
    this.wake?.();
  }

  private async watchLoop(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        const list = await this.options.client.request<{ items?: SyncObject[]; metadata?: { resourceVersion?: string } }>('GET', syncsPath(this.options.namespace), { query: { labelSelector: this.options.labelSelector } });
        const seen = new Set<string>();
        for (const s of list.items ?? []) {
          seen.add(this.key(s));
          this.upsert(s);
        }
        for (const k of [...this.tracked.keys()]) if (!seen.has(k)) this.tracked.delete(k);
        this.ready = true;
        await this.options.client.watch(
          syncsPath(this.options.namespace),
          { resourceVersion: list.metadata?.resourceVersion ?? '', timeoutSeconds: '300', ...(this.options.labelSelector ? { labelSelector: this.options.labelSelector } : {}) },
          (type, obj) => {
            const s = obj as SyncObject;
            if (type === 'DELETED') {
              this.tracked.delete(this.key(s));
              if (s.metadata.uid) {
                this.applyCaches.delete(s.metadata.uid);
                this.decryptMemos.delete(s.metadata.uid);
                this.buildMemos.delete(s.metadata.uid);
              }
            } else if (type === 'ADDED' || type === 'MODIFIED') this.upsert(s);
          },
          signal,
        );
      } catch (err) {
        if (signal.aborted) return;
        this.options.log.warn('watch of Syncs failed; relisting', { error: describe(err) });
        // A plain timer: this.sleep belongs to the reconcile loop (its wake-up is shared).
        await new Promise((r) => setTimeout(r, err instanceof KubeApiError && err.status === 410 ? 0 : 2000));
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async reconcileLoop(): Promise<void> {
    const signal = this.abort.signal;
    const base = this.options.backoffBaseMs ?? 5000;
    while (!signal.aborted) {
      if (!this.mayReconcile()) {
        await this.sleep(1000);
        continue;
      }
      const now = Date.now();
      if (now - this.discoveredAt > 600_000) {
        // CRDs come and go outside our change sets; forget the kind mapping now and then.
        this.discovery.reset();
        this.discoveredAt = now;
      }
      const { due, waitMs } = pickDue([...this.tracked.values()], now);
      if (!due) {
        await this.sleep(waitMs);
        continue;
      }
      let interval = 300_000;
      try {
        // A drift interval shorter than the interval brings the next reconcile forward.
        interval = nextCheckInterval(parseSyncSpec(due.sync.spec));
      } catch {
        // reconcileSync reports the bad spec in status
      }
      const started = Date.now();
      let outcome: ReconcileOutcome;
      let generation = due.sync.metadata.generation;
      try {
        // Read it fresh: the inventory in status must be the latest one written.
        const fresh = await this.options.client.request<SyncObject>('GET', syncsPath(due.sync.metadata.namespace, due.sync.metadata.name));
        due.sync = fresh;
        generation = fresh.metadata.generation;
        outcome = await reconcileSync(this.reconcileContext(), fresh);
      } catch (err) {
        if (err instanceof KubeApiError && err.status === 404) {
          this.tracked.delete(this.key(due.sync));
          continue;
        }
        outcome = { ok: false, reason: 'InternalError', message: describe(err) };
        this.options.log.error('reconcile failed', { sync: this.key(due.sync), error: describe(err) });
      }
      this.options.onOutcome?.(due.sync, outcome, Date.now() - started);
      due.reconciledGeneration = generation;
      if (INTERRUPTIONS.has(outcome.reason)) {
        // Not a failure of the Sync: whoever leads next (maybe us again) retries it at once.
        due.nextAt = 0;
        continue;
      }
      due.failures = outcome.ok ? 0 : due.failures + 1;
      due.nextAt = nextAttemptAt(due.failures, interval, base, Date.now());
      // The spec changed while we were reconciling: go again now.
      if (due.sync.metadata.generation !== generation) due.nextAt = 0;
    }
  }
}
