/**
 * Status stage: conditions, revisions and inventory on the Sync, and one Kubernetes Event per
 * change set. Every message passes through `redact()` against the values decrypted in this
 * reconcile before it leaves the process.
 */
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { redactText } from '../redact/index.js';
import type { KubeClient } from '../../kube/client.js';
import { MASS_DELETION_ANNOTATION, SYNC_API_VERSION, syncsPath, type Condition, type SyncObject, type SyncStatus } from '../sync.js';

/** Longest message stored in a condition or event. */
const MAX_MESSAGE = 1024;

/** A message safe to publish: redacted and bounded. */
export function safeMessage(text: string, secrets: readonly string[]): string {
  const clean = redactText(text, secrets).replace(/\s+/g, ' ').trim();
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE - 1)}…` : clean;
}

/** Merges `next` into `previous`, keeping lastTransitionTime when a condition's status is unchanged. */
export function mergeConditions(previous: readonly Condition[] | undefined, next: readonly Omit<Condition, 'lastTransitionTime'>[], now: string): Condition[] {
  return next.map((c) => {
    const old = previous?.find((p) => p.type === c.type);
    return { ...c, lastTransitionTime: old && old.status === c.status ? old.lastTransitionTime : now };
  });
}

/** The three conditions for an outcome. */
export function outcomeConditions(
  outcome: { ready: boolean; stalled: boolean; reconciling?: boolean; reason: string; message: string },
  generation: number | undefined,
): Omit<Condition, 'lastTransitionTime'>[] {
  return [
    { type: 'Ready', status: outcome.ready ? 'True' : 'False', reason: outcome.reason, message: outcome.message, observedGeneration: generation },
    {
      type: 'Reconciling',
      status: outcome.reconciling ? 'True' : 'False',
      reason: outcome.reconciling ? 'Progressing' : outcome.reason,
      message: outcome.reconciling ? outcome.message : '',
      observedGeneration: generation,
    },
    { type: 'Stalled', status: outcome.stalled ? 'True' : 'False', reason: outcome.reason, message: outcome.stalled ? outcome.message : '', observedGeneration: generation },
  ];
}

/**
 * Conditions while a change set is being applied: `Reconciling=True` and `Ready=Unknown`, so
 * nobody reads the last success as the state of a cluster that now holds a mix of revisions.
 * `Stalled` is cleared: the agent is making progress. Other conditions (`Healthy`) are kept.
 */
export function progressingConditions(previous: readonly Condition[] | undefined, revision: string, generation: number | undefined, now: string): Condition[] {
  const message = `applying ${revision}`;
  // Other conditions (Healthy) stay as they were: a merge patch replaces the whole list.
  const others = (previous ?? []).filter((c) => c.type !== 'Ready' && c.type !== 'Reconciling' && c.type !== 'Stalled');
  const applying = mergeConditions(
    previous,
    [
      { type: 'Ready', status: 'Unknown', reason: 'Progressing', message, observedGeneration: generation },
      { type: 'Reconciling', status: 'True', reason: 'Progressing', message, observedGeneration: generation },
      { type: 'Stalled', status: 'False', reason: 'Progressing', message: '', observedGeneration: generation },
    ],
    now,
  );
  return [...applying, ...others];
}

/** The pipeline stages that can fail before anything is applied. */
export type Stage = 'spec' | 'source' | 'build' | 'keys' | 'decrypt' | 'apply' | 'prune';

/**
 * The Ready reason for a failure in `stage`: the stage decides, not the error's class, so a
 * malformed keys Secret is never reported as a build failure.
 */
export function stageReason(stage: Exclude<Stage, 'source'>): string {
  return { spec: 'InvalidSpec', build: 'BuildFailed', keys: 'DecryptionKeysInvalid', decrypt: 'DecryptionFailed', apply: 'ApplyFailed', prune: 'PruneFailed' }[stage];
}

/** How prune ended, as {@link completion} needs it. */
export interface PruneSummary {
  /** Set when the deletion guard refused the prune. */
  readonly blocked?: { readonly stale: number; readonly inventory: number; readonly maxPercent: number };
  /** Objects that could not be deleted, with why. */
  readonly failures: readonly { readonly id: string; readonly message: string }[];
}

/**
 * Outcome and revision fields once apply succeeded and prune ran. `lastAppliedRevision` moves
 * only when the whole pipeline succeeded: a blocked or failed prune leaves objects of the old
 * commit in the cluster, so the new commit is not "applied".
 */
export function completion(
  revision: string,
  counts: ChangeCounts,
  prune: PruneSummary,
  now: string,
): { ok: boolean; reason: string; message: string; revisionFields: Pick<SyncStatus, 'lastAppliedRevision' | 'lastAppliedTime'> } {
  if (prune.blocked) {
    const b = prune.blocked;
    return {
      ok: false,
      reason: 'PruneBlocked',
      message: `applied the objects of ${revision} but refused to delete ${b.stale} of ${b.inventory} objects (more than ${b.maxPercent}%); a cluster operator can allow it with the annotation ${MASS_DELETION_ANNOTATION}="${revision.split('@sha1:')[1] ?? revision}" on the Sync`,
      revisionFields: {},
    };
  }
  if (prune.failures.length) {
    return { ok: false, reason: 'PruneFailed', message: `applied the objects of ${revision} but failed to delete ${prune.failures.map((f) => `${f.id}: ${f.message}`).join('; ')}`, revisionFields: {} };
  }
  return { ok: true, reason: 'ReconciliationSucceeded', message: changeNote(revision, counts), revisionFields: { lastAppliedRevision: revision, lastAppliedTime: now } };
}

/** Writes `status` through the status subresource (merge patch: fields not given stay). */
export async function patchSyncStatus(client: KubeClient, sync: SyncObject, status: SyncStatus): Promise<void> {
  const path = `${syncsPath(sync.metadata.namespace, sync.metadata.name)}/status`;
  await client.request('PATCH', path, { body: { status }, contentType: 'application/merge-patch+json' });
}

/** Counts of one change set. */
export interface ChangeCounts {
  readonly created: number;
  readonly configured: number;
  readonly deleted: number;
}

/** Records an `events.k8s.io/v1` Event about `sync`. */
export async function recordEvent(
  client: KubeClient,
  sync: SyncObject,
  event: { type: 'Normal' | 'Warning'; reason: string; action: string; note: string },
  secrets: readonly string[],
): Promise<void> {
  const ns = sync.metadata.namespace;
  const now = new Date();
  const body = {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { name: `${sync.metadata.name}.${now.getTime().toString(16)}${randomBytes(3).toString('hex')}`, namespace: ns },
    eventTime: now.toISOString().replace(/Z$/, '000Z'),
    reportingController: 'sealops.dev/agent',
    reportingInstance: hostname().slice(0, 128),
    action: event.action,
    reason: event.reason,
    type: event.type,
    note: safeMessage(event.note, secrets),
    regarding: { apiVersion: SYNC_API_VERSION, kind: 'Sync', name: sync.metadata.name, namespace: ns, uid: sync.metadata.uid },
  };
  await client.request('POST', `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(ns)}/events`, { body });
}

/** Text of an event summarizing a change set. */
export function changeNote(revision: string, counts: ChangeCounts): string {
  return `applied ${revision}: ${counts.created} created, ${counts.configured} configured, ${counts.deleted} deleted`;
}
