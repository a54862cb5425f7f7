/**
 * One reconcile of one Sync: source → build → decrypt → apply → prune → status, in a line.
 *
 * Fail closed: a failure in source, build or decrypt applies nothing and prunes nothing; the
 * cluster keeps its last applied state and the Sync's Ready condition says why.
 */
import { describe } from '../errors.js';
import { SourceError } from '../git/source.js';
import { keysDigest, type DecryptionKeys, type DecryptMemo } from './decrypt/index.js';
import { renderSync, type BuildMemo } from './render.js';
import { loadPostBuild } from './postbuild.js';
import type { KustomizeOptions } from '../build/kustomize.js';
import { keysInUse, loadSyncKeySets, reportMalformedKeys } from './keys-in-use.js';
import type { LoadedKeySets } from './keysets.js';
import { applyManifests, ApplyError, type AppliedObject, type ApplyCache } from './apply/index.js';
import { pruneStale, type PruneResult } from './prune/index.js';
import { readInventory, staleEntries, type InventoryEntry } from './inventory.js';
import { fetchSyncSource } from './source/index.js';
import { changeNote, completion, mergeConditions, outcomeConditions, patchSyncStatus, progressingConditions, recordEvent, safeMessage, stageReason } from './status/index.js';
import { massDeletionOverride, parseSyncSpec, revisionOf, type SyncObject, type SyncSpec, type SyncStatus } from './sync.js';
import { serviceAccountIdentity, type KubeClient } from '../kube/client.js';
import { redactFieldValues } from './redact/index.js';
import { driftStage } from './drift/index.js';
import type { Discovery } from '../kube/discovery.js';
import type { Logger } from './log.js';
import { checkHealth, healthyConditions, type NewCondition } from './health/index.js';
import { appliedDigest, nextHistory } from './status/history.js';
import { ownVersion } from '../util/version.js';
import { stageClock, type StageObserver } from './stages.js';

/** Written to `status.agentVersion` with every status. */
const AGENT_VERSION = ownVersion();

/** What a reconcile needs from its surroundings. */
export interface AgentContext {
  readonly client: KubeClient;
  readonly discovery: Discovery;
  readonly log: Logger;
  /** Namespace of the agent: where the default keys Secret lives. */
  readonly agentNamespace: string;
  /** Folder for per-Sync bare repositories. */
  readonly workRoot: string;
  /** Parallel API requests during apply. */
  readonly concurrency?: number;
  /** kustomize binary and limits (default: kustomize on PATH, default limits). */
  readonly kustomize?: KustomizeOptions;
  /** Per-Sync memory of the last apply, kept across reconciles by a long-running agent. */
  readonly applyCaches?: Map<string, ApplyCache>;
  /** Per-Sync memory of unsealed objects (see DecryptMemo), kept with the digest of the keys used. */
  readonly decryptMemos?: Map<string, { keys: string; memo: DecryptMemo }>;
  /** Per-Sync memory of the last build (see BuildMemo). */
  readonly buildMemos?: Map<string, BuildMemo>;
  /** Heap cap of the build and decrypt worker, in MiB (default DEFAULT_WORKER_MEMORY_MB of offthread.ts). */
  readonly workerMemoryMb?: number;
  /** ServiceAccount (of each Sync's namespace) to impersonate for Syncs that name none. */
  readonly defaultServiceAccount?: string;
  /**
   * Write fencing by leader election: `canWrite` is asked before every write and before the
   * status is written; `signal` aborts when the term ends (requests in flight are abandoned).
   */
  readonly leadership?: { readonly signal: AbortSignal; readonly canWrite: () => boolean; readonly deadline: () => number };
  /** Aborts the reconcile (shutdown). */
  readonly signal?: AbortSignal;
  /** Told how long each stage took (metrics). */
  readonly onStage?: StageObserver;
}

/** Why a reconcile was cut short, from the signal that fired. */
class Interrupted extends Error {
  constructor(
    readonly reason: 'LeadershipLost' | 'ReconcileTimeout' | 'ShuttingDown',
    message: string,
  ) {
    super(message);
  }
}

/** Result of one reconcile. */
export interface ReconcileOutcome {
  readonly ok: boolean;
  /** Condition reason (ReconciliationSucceeded, GitUnreachable, DecryptionFailed, …). */
  readonly reason: string;
  /** Redacted message. */
  readonly message: string;
  readonly revision?: string;
  readonly counts?: { created: number; configured: number; unchanged: number; deleted: number };
  /** Set when the Sync was suspended and nothing ran. */
  readonly suspended?: boolean;
}

const SOURCE_REASONS: Record<string, string> = {
  Unreachable: 'GitUnreachable',
  AuthenticationFailed: 'GitAuthenticationFailed',
  RefNotFound: 'GitRefNotFound',
  Timeout: 'GitTimeout',
  InvalidSource: 'InvalidSource',
  SymlinkEscape: 'SourceRefused',
  FileTooLarge: 'SourceRefused',
  SignatureVerificationFailed: 'SignatureVerificationFailed',
  GitFailed: 'GitFailed',
};

async function loadKeys(ctx: AgentContext, sync: SyncObject, spec: SyncSpec, writer: KubeClient): Promise<{ keys: DecryptionKeys; secrets: string[]; loaded: LoadedKeySets }> {
  // A keys Secret of the Sync's namespace is the Sync's own: read it as the Sync's account.
  const loaded = spec.decryptionSecretRef ? await loadSyncKeySets(writer, sync.metadata.namespace, spec.decryptionSecretRef) : await loadSyncKeySets(ctx.client, ctx.agentNamespace, undefined);
  return { keys: { ageIdentities: loaded.ageIdentities, rsaKeys: loaded.rsaKeys }, secrets: loaded.secrets, loaded };
}

/** Reconciles `sync` once and writes its status. Never throws for a pipeline failure; returns it. */
export async function reconcileSync(ctx: AgentContext, sync: SyncObject): Promise<ReconcileOutcome> {
  const owner = { namespace: sync.metadata.namespace, name: sync.metadata.name };
  // Key of this Sync's memories (apply cache, decrypt and build memos).
  const syncKey = sync.metadata.uid ?? `${owner.namespace}/${owner.name}`;
  const log = ctx.log.with({ sync: `${owner.namespace}/${owner.name}` });
  const generation = sync.metadata.generation;
  const previous = readInventory(sync.status?.inventory?.entries);
  let secrets: string[] = [];
  // Set once the source stage knows the commit; read by finish().
  const state: { attempted?: string; healthy?: NewCondition | null } = {};
  const clock = stageClock(ctx.onStage);

  // One deadline for the whole reconcile, and the leadership term: whichever ends first.
  const timeoutMs = reconcileTimeoutMs(sync);
  const deadline = AbortSignal.timeout(timeoutMs);
  const signals = [deadline, ...(ctx.leadership ? [ctx.leadership.signal] : []), ...(ctx.signal ? [ctx.signal] : [])];
  const signal = AbortSignal.any(signals);
  const canWrite = (): boolean => !ctx.leadership || ctx.leadership.canWrite();
  const fence = { signal, canWrite, ...(ctx.leadership ? { writeDeadline: ctx.leadership.deadline } : {}) };
  const client = ctx.client.fenced(fence);
  // Status and events: fenced by the term only, so a reconcile cut short by its deadline still reports.
  const statusClient = ctx.client.fenced({ signal: ctx.leadership?.signal ?? new AbortController().signal, canWrite });
  const interrupted = (): Interrupted | undefined => {
    if (ctx.leadership?.signal.aborted || !canWrite()) return new Interrupted('LeadershipLost', 'stopped: this replica lost the leader lease; the new leader continues');
    if (ctx.signal?.aborted) return new Interrupted('ShuttingDown', 'stopped: the agent is shutting down; the next reconcile continues');
    if (deadline.aborted) return new Interrupted('ReconcileTimeout', `stopped: the reconcile exceeded its time limit (spec.timeout ${Math.round(timeoutMs / 1000)}s)`);
    return undefined;
  };
  const checkpoint = (): void => {
    const why = interrupted();
    if (why) throw why;
  };

  const finish = async (outcome: ReconcileOutcome & { stalled?: boolean }, extra: Partial<SyncStatus> = {}): Promise<ReconcileOutcome> => {
    const message = safeMessage(outcome.message, secrets);
    clock.end();
    if (!canWrite()) {
      // Not the leader any more: the new leader owns the status. Write nothing.
      log.redacting(secrets).warn('reconcile abandoned', { reason: outcome.reason, message, revision: outcome.revision ?? state.attempted });
      return { ...outcome, message };
    }
    const now = new Date().toISOString();
    const status: SyncStatus = {
      observedGeneration: generation,
      conditions: mergeConditions(sync.status?.conditions, [...outcomeConditions({ ready: outcome.ok, stalled: outcome.stalled ?? false, reason: outcome.reason, message }, generation), ...healthyConditions(sync, state.healthy)], now),
      agentVersion: AGENT_VERSION,
      ...(state.attempted ? { lastAttemptedRevision: state.attempted } : {}),
      ...extra,
    };
    clock.enter('status');
    try {
      await patchSyncStatus(statusClient, sync, status);
    } catch (err) {
      log.redacting(secrets).error('failed to write status', { error: describe(err) });
    }
    const level = outcome.ok ? 'info' : 'error';
    log.redacting(secrets).log(level, outcome.ok ? 'reconciled' : 'reconcile failed', { reason: outcome.reason, message, revision: outcome.revision ?? state.attempted, counts: outcome.counts });
    const before = sync.status?.conditions?.find((c) => c.type === 'Ready');
    // One Warning per distinct failure, not one per retry.
    if (!outcome.ok && !(before?.status === 'False' && before.reason === outcome.reason && before.message === message)) {
      await recordEvent(statusClient, sync, { type: 'Warning', reason: outcome.reason, action: 'Reconcile', note: message }, secrets).catch(() => undefined);
    }
    clock.end();
    return { ...outcome, message };
  };

  let spec: SyncSpec;
  try {
    spec = parseSyncSpec(sync.spec);
  } catch (err) {
    return finish({ ok: false, stalled: true, reason: stageReason('spec'), message: describe(err) });
  }
  if (!spec.wait) state.healthy = null;
  if (spec.suspend) {
    log.info('suspended; skipping');
    return { ok: true, reason: 'Suspended', message: 'reconciliation is suspended', suspended: true };
  }
  // Tenancy: everything of the Sync's own (its source and decryption Secrets, the objects it
  // applies and prunes) is read and written as its ServiceAccount, so RBAC of the Sync's
  // namespace bounds what its repository can reach. The agent's own identity reads only the
  // Sync itself and the default keys Secret in the agent's namespace, and writes status and events.
  const account = spec.serviceAccountName ?? ctx.defaultServiceAccount;
  // The Sync's own reads and writes, as its account, fenced like every request of this reconcile.
  const writer = (account ? ctx.client.impersonating(serviceAccountIdentity(owner.namespace, account)) : ctx.client).fenced(fence);

  // 1. source
  let snapshot;
  clock.enter('source');
  try {
    checkpoint();
    // The whole repository: an overlay reaches its bases outside spec.path.
    const fetched = await fetchSyncSource(writer, owner, { ...spec, path: '' }, ctx.workRoot);
    snapshot = fetched.snapshot;
    secrets = fetched.secrets;
  } catch (err) {
    const why = interrupted();
    if (why) return finish({ ok: false, reason: why.reason, message: why.message });
    const reason = err instanceof SourceError ? SOURCE_REASONS[err.reason] ?? 'GitFailed' : 'GitFailed';
    // A refused commit was fetched: record it as attempted (never as applied).
    if (err instanceof SourceError && err.commit) state.attempted = revisionOf(spec.source.ref, err.commit);
    return finish({ ok: false, reason, message: describe(err) });
  }
  const revision = revisionOf(spec.source.ref, snapshot.commit);
  state.attempted = revision;
  // Reconciling=True and Ready=Unknown from the moment an apply may start until it ends.
  let progressWritten = false;
  const markProgressing = async (): Promise<void> => {
    if (progressWritten) return;
    progressWritten = true;
    await patchSyncStatus(client, sync, {
      conditions: progressingConditions(sync.status?.conditions, revision, generation, new Date().toISOString()),
      lastAttemptedRevision: revision,
    }).catch((err: unknown) => log.warn('failed to write status', { error: describe(err) }));
  };
  if (revision !== sync.status?.lastAppliedRevision || generation !== sync.status?.observedGeneration) await markProgressing();

  // 2. build, 3. decrypt
  let manifests;
  let stage: 'build' | 'keys' | 'decrypt' = 'build';
  // Set once something was unsealed: the API server's echo of rejected objects is then never published.
  let unsealedAny = false;
  let keySets: LoadedKeySets | undefined;
  let inUse: string[] | undefined;
  clock.enter('build');
  try {
    checkpoint();
    let memo: DecryptMemo | undefined;
    const keys = async (): Promise<DecryptionKeys> => {
      stage = 'keys';
      clock.enter('decrypt');
      const loaded = await loadKeys(ctx, sync, spec, writer);
      secrets = [...secrets, ...loaded.secrets];
      keySets = loaded.loaded;
      await reportMalformedKeys(loaded.loaded, sync, log, (note) => recordEvent(client, sync, { type: 'Warning', reason: 'DecryptionKeySkipped', action: 'LoadKeys', note }, secrets));
      if (ctx.decryptMemos) {
        const keyDigest = keysDigest(loaded.secrets);
        let held = ctx.decryptMemos.get(syncKey);
        if (!held || held.keys !== keyDigest) ctx.decryptMemos.set(syncKey, (held = { keys: keyDigest, memo: { previous: new Map() } }));
        memo = held.memo;
      }
      stage = 'decrypt';
      return loaded.keys;
    };
    // Secret-sourced values join the redaction list before anything can report them.
    const postBuild = spec.postBuild ? await loadPostBuild(writer, owner.namespace, spec.postBuild) : undefined;
    if (postBuild) secrets = [...secrets, ...postBuild.secrets];
    const input = {
      files: snapshot.files,
      path: spec.path,
      components: spec.components,
      targetNamespace: spec.targetNamespace,
      kustomize: ctx.kustomize,
      ...(postBuild ? { postBuild: postBuild.values } : {}),
    };
    let buildMemo: { key: string; slot: BuildMemo } | undefined;
    if (ctx.buildMemos) {
      let slot = ctx.buildMemos.get(syncKey);
      if (!slot) ctx.buildMemos.set(syncKey, (slot = {}));
      const pb = postBuild ? JSON.stringify(Object.entries(postBuild.values.vars).sort()) : '';
      buildMemo = { key: keysDigest([snapshot.commit, spec.path, JSON.stringify(spec.components), spec.targetNamespace ?? '', pb, JSON.stringify(ctx.kustomize ?? {})]), slot };
    }
    // Build and decryption run in a worker thread, terminated at the deadline (or end of term, or shutdown).
    const rendered = await renderSync(input, { keys, memo: () => memo, allowUnbound: spec.allowUnbound, warn: (message) => log.warn(message) }, buildMemo, { signal, memoryMb: ctx.workerMemoryMb });
    for (const s of rendered.skipped) log.debug('skipped document', { file: s.file, doc: s.doc + 1, why: s.why });
    log.debug('built', { kustomization: rendered.kustomization, kustomizeMs: rendered.kustomizeMs, objects: rendered.manifests.length, unsealed: rendered.unsealed });
    secrets = [...secrets, ...rendered.secrets];
    manifests = rendered.manifests;
    unsealedAny = rendered.unsealed > 0;
    // Keys are loaded only when something is sealed: none loaded means no set is needed.
    inUse = keySets ? keysInUse(rendered.built, keySets.sets) : [];
  } catch (err) {
    const why = err instanceof Interrupted ? err : interrupted();
    if (why) return finish({ ok: false, reason: why.reason, message: why.message });
    // The stage that failed names the reason: build (kustomize included), keys, or decrypt.
    return finish({ ok: false, stalled: true, reason: stageReason(stage), message: describe(err) });
  }

  // Between commits: compare live objects with git (spec.driftInterval); report mode stops here.
  // drift.manifests carry ignored fields' live values: what is applied, not what history digests.
  let drift;
  clock.enter('drift');
  try {
    drift = await driftStage({ client, writer, discovery: ctx.discovery, sync, spec, revision, manifests, log: log.redacting(secrets), secrets, cache: ctx.applyCaches?.get(syncKey), concurrency: ctx.concurrency, interrupted: () => !!interrupted() });
  } catch (err) {
    const why = interrupted();
    if (!why) throw err;
    return finish({ ok: false, reason: why.reason, message: why.message });
  }
  if (drift.stop) return finish({ ok: true, reason: 'ReconciliationSucceeded', message: drift.stop, revision });

  // 4. apply
  let applied: AppliedObject[];
  clock.enter('apply');
  try {
    checkpoint();
    let cache = ctx.applyCaches?.get(syncKey);
    if (ctx.applyCaches && !cache) ctx.applyCaches.set(syncKey, (cache = new Map() as ApplyCache));
    const beforeWrite = async (entries: InventoryEntry[]): Promise<void> => {
      checkpoint();
      await markProgressing();
      const known = new Set(previous.map((e) => e.id));
      if (entries.every((e) => known.has(e.id))) return;
      // Recorded before writing: if the agent dies mid-apply, the next run still owns (and can prune) these.
      await patchSyncStatus(client, sync, { inventory: { entries: mergeInventory(previous, entries) } });
    };
    applied = await applyManifests(writer, ctx.discovery, drift.manifests, { owner, concurrency: ctx.concurrency, cache, beforeWrite, ...(drift.seen ? { seen: drift.seen } : {}) });
  } catch (err) {
    let message = describe(err);
    let written: AppliedObject[] = [];
    if (err instanceof ApplyError) {
      // The API server echoes the rejected object's values: once anything was unsealed, keep only field paths and reasons.
      const shown = (f: { file: string; message: string }): string => (unsealedAny ? redactFieldValues(f.message) : f.message);
      message = `${err.message}: ${err.failures.map((f) => `${f.object} (${f.file}): ${shown(f)}`).join('; ')}`;
      written = err.written;
    }
    // Say whose rights fell short: a tenant's refusal reads differently from the agent's.
    if (account) message = `${message} (applying as ServiceAccount ${owner.namespace}/${account})`;
    // Objects that did reach the cluster join the inventory so a later prune can find them.
    const inventory = { inventory: { entries: mergeInventory(previous, written.map((w) => w.entry)) } };
    const why = err instanceof Interrupted ? err : interrupted();
    if (why && (why.reason === 'LeadershipLost' || !(err instanceof ApplyError) || err.failures.some((f) => f.reason === 'Aborted'))) {
      return finish({ ok: false, reason: why.reason, message: `${why.message}: ${message}` }, inventory);
    }
    return finish({ ok: false, reason: 'ApplyFailed', message }, inventory);
  }
  const current = applied.map((a) => a.entry);
  const counts = {
    created: applied.filter((a) => a.action === 'created').length,
    configured: applied.filter((a) => a.action === 'configured').length,
    unchanged: applied.filter((a) => a.action === 'unchanged').length,
    deleted: 0,
  };
  const safeLog = log.redacting(secrets);
  for (const a of applied) if (a.action !== 'unchanged') safeLog.info(`object ${a.action}`, { object: a.entry.id, file: a.file });

  // 5. prune
  clock.enter('prune');
  const stale = staleEntries(previous, current);
  let pruned: PruneResult = { deleted: [], kept: [], failures: [] };
  if (spec.prune && stale.length) {
    const override = massDeletionOverride(sync, spec, snapshot.commit);
    if (override.ignored) log.warn('mass-deletion override ignored', { why: override.ignored });
    try {
      checkpoint();
      pruned = await pruneStale(writer, ctx.discovery, stale, {
        owner,
        inventorySize: previous.length,
        maxDeletionPercent: spec.maxDeletionPercent,
        allowMassDeletion: override.allowed,
      });
    } catch (err) {
      const why = err instanceof Interrupted ? err : interrupted();
      if (!why) throw err;
      return finish({ ok: false, reason: why.reason, message: why.message }, { inventory: { entries: mergeInventory(current, previous) } });
    }
    const why = interrupted();
    if (why) {
      const gone = new Set(pruned.deleted.map((e) => e.id));
      return finish({ ok: false, reason: why.reason, message: why.message }, { inventory: { entries: mergeInventory(current, previous.filter((e) => !gone.has(e.id))) } });
    }
    for (const d of pruned.deleted) log.info('object deleted', { object: d.id });
    for (const k of pruned.kept) if (k.reason !== 'Gone') log.info('stale object kept', { object: k.entry.id, reason: k.reason });
  }
  counts.deleted = pruned.deleted.length;
  // Stale objects not deleted (guard, failures) stay in the inventory for a later run.
  const keep = new Set([...(pruned.blocked ? stale : []), ...pruned.failures.map((f) => f.entry)].map((e) => e.id));
  const inventory = mergeInventory(current, previous.filter((e) => keep.has(e.id)));
  const changed = counts.created + counts.configured + counts.deleted;
  if (changed > 0) {
    await recordEvent(client, sync, { type: 'Normal', reason: 'ReconciliationSucceeded', action: 'Apply', note: changeNote(revision, counts) }, secrets).catch((err: unknown) =>
      log.redacting(secrets).warn('failed to record event', { error: describe(err) }),
    );
  }
  const done = completion(revision, counts, { blocked: pruned.blocked, failures: pruned.failures.map((f) => ({ id: f.entry.id, message: f.message })) }, new Date().toISOString());
  // History moves with lastAppliedRevision; health (spec.wait) is judged only once applied.
  const history = done.revisionFields.lastAppliedTime ? { history: nextHistory(sync.status?.history, { revision, counts, digest: appliedDigest(current, manifests.map((m) => m.object), secrets) }, done.revisionFields.lastAppliedTime) } : {};
  if (done.ok && spec.wait) clock.enter('health');
  const health = done.ok && spec.wait ? await checkHealth({ client: writer, statusClient, discovery: ctx.discovery, log, sync, revision, applied, inventory, signal, interrupted, timeoutMs: spec.timeoutMs, secrets }) : undefined;
  if (health) state.healthy = health.condition;
  return finish({ ok: done.ok, reason: done.reason, message: done.message, revision, counts }, { inventory: { entries: inventory }, ...done.revisionFields, ...history, ...(health ? { health: health.health } : {}), ...(inUse ? { keysInUse: inUse } : {}) });
}

/** The reconcile's total time limit: spec.timeout (default 2m). */
function reconcileTimeoutMs(sync: SyncObject): number {
  try {
    return parseSyncSpec(sync.spec).timeoutMs;
  } catch {
    return 120_000;
  }
}

function mergeInventory(a: readonly InventoryEntry[], b: readonly InventoryEntry[]): InventoryEntry[] {
  const seen = new Map<string, InventoryEntry>();
  for (const e of [...a, ...b]) if (!seen.has(e.id)) seen.set(e.id, e);
  return [...seen.values()];
}
