/**
 * One reconcile of one Sync: source → build → decrypt → apply → prune → status, in a line.
 *
 * Fail closed: a failure in source, build or decrypt applies nothing and prunes nothing; the
 * cluster keeps its last applied state and the Sync's Ready condition says why.
 */
import { describe, SealopsError } from '../errors.js';
import { SourceError } from '../git/source.js';
import { keysDigest, loadDecryptionKeys, type DecryptionKeys, type DecryptMemo } from './decrypt/index.js';
import { renderSync, type BuildMemo } from './render.js';
import { loadPostBuild } from './postbuild.js';
import type { KustomizeOptions } from '../build/kustomize.js';
import { applyManifests, ApplyError, type AppliedObject, type ApplyCache } from './apply/index.js';
import { pruneStale, type PruneResult } from './prune/index.js';
import { readInventory, staleEntries, type InventoryEntry } from './inventory.js';
import { fetchSyncSource, readSecretEntries } from './source/index.js';
import { changeNote, mergeConditions, outcomeConditions, patchSyncStatus, recordEvent, safeMessage } from './status/index.js';
import { DEFAULT_KEYS_SECRET, parseSyncSpec, revisionOf, type SyncObject, type SyncSpec, type SyncStatus } from './sync.js';
import { KubeApiError, serviceAccountIdentity, type KubeClient } from '../kube/client.js';
import type { Discovery } from '../kube/discovery.js';
import type { Logger } from './log.js';

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
  /** ServiceAccount (of each Sync's namespace) to impersonate for Syncs that name none. */
  readonly defaultServiceAccount?: string;
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

async function loadKeys(ctx: AgentContext, sync: SyncObject, spec: SyncSpec, writer: KubeClient): Promise<{ keys: DecryptionKeys; secrets: string[] }> {
  const ns = spec.decryptionSecretRef ? sync.metadata.namespace : ctx.agentNamespace;
  const name = spec.decryptionSecretRef ?? DEFAULT_KEYS_SECRET;
  let entries: Record<string, string>;
  try {
    // A keys Secret of the Sync's namespace is the Sync's own: read it as the Sync's account.
    entries = await readSecretEntries(spec.decryptionSecretRef ? writer : ctx.client, ns, name);
  } catch (err) {
    const why = err instanceof KubeApiError && err.status === 404 ? 'not found' : 'could not be read';
    throw new SealopsError('KEY', `failed to load decryption keys from secret ${ns}/${name}: ${why}`, { cause: err });
  }
  return { keys: loadDecryptionKeys(entries), secrets: Object.values(entries) };
}

/** Reconciles `sync` once and writes its status. Never throws for a pipeline failure; returns it. */
export async function reconcileSync(ctx: AgentContext, sync: SyncObject): Promise<ReconcileOutcome> {
  const owner = { namespace: sync.metadata.namespace, name: sync.metadata.name };
  const log = ctx.log.with({ sync: `${owner.namespace}/${owner.name}` });
  const generation = sync.metadata.generation;
  const previous = readInventory(sync.status?.inventory?.entries);
  let secrets: string[] = [];
  // Set once the source stage knows the commit; read by finish().
  const state: { attempted?: string } = {};

  const finish = async (outcome: ReconcileOutcome & { stalled?: boolean }, extra: Partial<SyncStatus> = {}): Promise<ReconcileOutcome> => {
    const message = safeMessage(outcome.message, secrets);
    const now = new Date().toISOString();
    const status: SyncStatus = {
      observedGeneration: generation,
      conditions: mergeConditions(sync.status?.conditions, outcomeConditions({ ready: outcome.ok, stalled: outcome.stalled ?? false, reason: outcome.reason, message }, generation), now),
      ...(state.attempted ? { lastAttemptedRevision: state.attempted } : {}),
      ...extra,
    };
    try {
      await patchSyncStatus(ctx.client, sync, status);
    } catch (err) {
      log.redacting(secrets).error('failed to write status', { error: describe(err) });
    }
    const level = outcome.ok ? 'info' : 'error';
    log.redacting(secrets).log(level, outcome.ok ? 'reconciled' : 'reconcile failed', { reason: outcome.reason, message, revision: outcome.revision ?? state.attempted, counts: outcome.counts });
    const before = sync.status?.conditions?.find((c) => c.type === 'Ready');
    // One Warning per distinct failure, not one per retry.
    if (!outcome.ok && !(before?.status === 'False' && before.reason === outcome.reason && before.message === message)) {
      await recordEvent(ctx.client, sync, { type: 'Warning', reason: outcome.reason, action: 'Reconcile', note: message }, secrets).catch(() => undefined);
    }
    return { ...outcome, message };
  };

  let spec: SyncSpec;
  try {
    spec = parseSyncSpec(sync.spec);
  } catch (err) {
    return finish({ ok: false, stalled: true, reason: 'InvalidSpec', message: describe(err) });
  }
  if (spec.suspend) {
    log.info('suspended; skipping');
    return { ok: true, reason: 'Suspended', message: 'reconciliation is suspended', suspended: true };
  }
  // Tenancy: everything of the Sync's own (its source and decryption Secrets, the objects it
  // applies and prunes) is read and written as its ServiceAccount, so RBAC of the Sync's
  // namespace bounds what its repository can reach. The agent's own identity reads only the
  // Sync itself and the default keys Secret in the agent's namespace, and writes status and events.
  const account = spec.serviceAccountName ?? ctx.defaultServiceAccount;
  const writer = account ? ctx.client.impersonating(serviceAccountIdentity(owner.namespace, account)) : ctx.client;

  // 1. source
  let snapshot;
  try {
    // The whole repository: an overlay reaches its bases outside spec.path.
    const fetched = await fetchSyncSource(writer, owner, { ...spec, path: '' }, ctx.workRoot);
    snapshot = fetched.snapshot;
    secrets = fetched.secrets;
  } catch (err) {
    const reason = err instanceof SourceError ? SOURCE_REASONS[err.reason] ?? 'GitFailed' : 'GitFailed';
    // A refused commit was fetched: record it as attempted (never as applied).
    if (err instanceof SourceError && err.commit) state.attempted = revisionOf(spec.source.ref, err.commit);
    return finish({ ok: false, reason, message: describe(err) });
  }
  const revision = revisionOf(spec.source.ref, snapshot.commit);
  state.attempted = revision;
  if (revision !== sync.status?.lastAppliedRevision || generation !== sync.status?.observedGeneration) {
    // Something new to apply: say so while it happens (Ready keeps its last value).
    const ready = sync.status?.conditions?.find((c) => c.type === 'Ready');
    const progressing = outcomeConditions(
      { ready: ready?.status === 'True', stalled: false, reconciling: true, reason: ready?.reason ?? 'Progressing', message: `reconciling ${revision}` },
      generation,
    );
    progressing[0] = ready ? { ...ready } : { ...progressing[0]!, status: 'Unknown' };
    await patchSyncStatus(ctx.client, sync, {
      conditions: mergeConditions(sync.status?.conditions, progressing, new Date().toISOString()),
      lastAttemptedRevision: revision,
    }).catch((err: unknown) => log.warn('failed to write status', { error: describe(err) }));
  }

  // 2. build, 3. decrypt
  let manifests;
  try {
    let memo: DecryptMemo | undefined;
    const keys = async (): Promise<DecryptionKeys> => {
      const loaded = await loadKeys(ctx, sync, spec, writer);
      secrets = [...secrets, ...loaded.secrets];
      if (ctx.decryptMemos) {
        const keyDigest = keysDigest(loaded.secrets);
        const memoKey = sync.metadata.uid ?? `${owner.namespace}/${owner.name}`;
        let held = ctx.decryptMemos.get(memoKey);
        if (!held || held.keys !== keyDigest) ctx.decryptMemos.set(memoKey, (held = { keys: keyDigest, memo: { previous: new Map() } }));
        memo = held.memo;
      }
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
      const memoKey = sync.metadata.uid ?? `${owner.namespace}/${owner.name}`;
      let slot = ctx.buildMemos.get(memoKey);
      if (!slot) ctx.buildMemos.set(memoKey, (slot = {}));
      const pb = postBuild ? JSON.stringify(Object.entries(postBuild.values.vars).sort()) : '';
      buildMemo = { key: keysDigest([snapshot.commit, spec.path, JSON.stringify(spec.components), spec.targetNamespace ?? '', pb, JSON.stringify(ctx.kustomize ?? {})]), slot };
    }
    const rendered = await renderSync(input, { keys, memo: () => memo, allowUnbound: spec.allowUnbound, warn: (message) => log.warn(message) }, buildMemo);
    for (const s of rendered.skipped) log.debug('skipped document', { file: s.file, doc: s.doc + 1, why: s.why });
    log.debug('built', { kustomization: rendered.kustomization, kustomizeMs: rendered.kustomizeMs, objects: rendered.manifests.length, unsealed: rendered.unsealed });
    secrets = [...secrets, ...rendered.secrets];
    manifests = rendered.manifests;
  } catch (err) {
    // A refused or broken build (bad input, kustomize missing) is BuildFailed; everything else failed to unseal.
    const reason = err instanceof SealopsError && (err.code === 'INPUT' || err.code === 'ENVIRONMENT') ? 'BuildFailed' : 'DecryptionFailed';
    return finish({ ok: false, stalled: true, reason, message: describe(err) });
  }

  // 4. apply
  let applied: AppliedObject[];
  try {
    const cacheKey = sync.metadata.uid ?? `${owner.namespace}/${owner.name}`;
    let cache = ctx.applyCaches?.get(cacheKey);
    if (ctx.applyCaches && !cache) ctx.applyCaches.set(cacheKey, (cache = new Map() as ApplyCache));
    const beforeWrite = async (entries: InventoryEntry[]): Promise<void> => {
      const known = new Set(previous.map((e) => e.id));
      if (entries.every((e) => known.has(e.id))) return;
      // Recorded before writing: if the agent dies mid-apply, the next run still owns (and can prune) these.
      await patchSyncStatus(ctx.client, sync, { inventory: { entries: mergeInventory(previous, entries) } });
    };
    applied = await applyManifests(writer, ctx.discovery, manifests, { owner, concurrency: ctx.concurrency, cache, beforeWrite });
  } catch (err) {
    let message = describe(err);
    let written: AppliedObject[] = [];
    if (err instanceof ApplyError) {
      message = `${err.message}: ${err.failures.map((f) => `${f.object} (${f.file}): ${f.message}`).join('; ')}`;
      written = err.written;
    }
    // Say whose rights fell short: a tenant's refusal reads differently from the agent's.
    if (account) message = `${message} (applying as ServiceAccount ${owner.namespace}/${account})`;
    // Objects that did reach the cluster join the inventory so a later prune can find them.
    const inventory = mergeInventory(previous, written.map((w) => w.entry));
    return finish({ ok: false, reason: 'ApplyFailed', message }, { inventory: { entries: inventory } });
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
  const stale = staleEntries(previous, current);
  let pruned: PruneResult = { deleted: [], kept: [], failures: [] };
  if (spec.prune && stale.length) {
    pruned = await pruneStale(writer, ctx.discovery, stale, {
      owner,
      inventorySize: previous.length,
      maxDeletionPercent: spec.maxDeletionPercent,
      allowMassDeletion: spec.allowMassDeletion,
    });
    for (const d of pruned.deleted) log.info('object deleted', { object: d.id });
    for (const k of pruned.kept) if (k.reason !== 'Gone') log.info('stale object kept', { object: k.entry.id, reason: k.reason });
  }
  counts.deleted = pruned.deleted.length;
  // Stale objects not deleted (guard, failures) stay in the inventory for a later run.
  const keep = new Set([...(pruned.blocked ? stale : []), ...pruned.failures.map((f) => f.entry)].map((e) => e.id));
  const inventory = mergeInventory(current, previous.filter((e) => keep.has(e.id)));
  const changed = counts.created + counts.configured + counts.deleted;
  if (changed > 0) {
    await recordEvent(ctx.client, sync, { type: 'Normal', reason: 'ReconciliationSucceeded', action: 'Apply', note: changeNote(revision, counts) }, secrets).catch((err: unknown) =>
      log.redacting(secrets).warn('failed to record event', { error: describe(err) }),
    );
  }
  const extra: Partial<SyncStatus> = { inventory: { entries: inventory }, lastAppliedRevision: revision, lastAppliedTime: new Date().toISOString() };
  if (pruned.blocked) {
    const b = pruned.blocked;
    return finish(
      { ok: false, reason: 'PruneBlocked', message: `applied ${revision} but refused to delete ${b.stale} of ${b.inventory} objects (more than ${b.maxPercent}%); set spec.deletionGuard.allowMassDeletion to allow it`, revision, counts },
      extra,
    );
  }
  if (pruned.failures.length) {
    return finish({ ok: false, reason: 'PruneFailed', message: `applied ${revision} but failed to delete ${pruned.failures.map((f) => `${f.entry.id}: ${f.message}`).join('; ')}`, revision, counts }, extra);
  }
  return finish({ ok: true, reason: 'ReconciliationSucceeded', message: changeNote(revision, counts), revision, counts }, extra);
}

function mergeInventory(a: readonly InventoryEntry[], b: readonly InventoryEntry[]): InventoryEntry[] {
  const seen = new Map<string, InventoryEntry>();
  for (const e of [...a, ...b]) if (!seen.has(e.id)) seen.set(e.id, e);
  return [...seen.values()];
}
