/**
 * Health stage (`spec.wait: true`): after apply and prune, wait for the workloads of the change
 * set to become ready, and say so in the `Healthy` condition and `status.health`.
 *
 * - The change set is what this reconcile created or configured (everything applied, the first
 *   time a Sync is checked), plus the objects the last check found not ready (so a Sync that was
 *   unhealthy is looked at again, once, even when nothing changed). Only a change set is waited
 *   for; a re-check looks once, so an unhealthy Sync never holds the agent's single reconcile
 *   loop for its whole timeout at every interval.
 * - While waiting: `Healthy=Unknown`, reason `Progressing`. The wait ends when every object is
 *   ready or one has failed for good (a Deployment past its progress deadline, a failed Job, a
 *   `Stalled` resource), or when the reconcile's signal fires: its deadline (`spec.timeout`,
 *   which then means "not healthy in time"), the end of the leader's term or shutdown.
 * - `Healthy=False` names the objects that are not ready, in the message and in
 *   `status.health.unhealthy`, and records one Warning Event per distinct failure.
 * Ready keeps saying whether the revision was applied; Healthy says whether it runs.
 */
import { describe } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { Discovery } from '../../kube/discovery.js';
import { groupOf } from '../../build/index.js';
import type { AppliedObject } from '../apply/index.js';
import { parseInventoryId, type InventoryEntry } from '../inventory.js';
import type { Logger } from '../log.js';
import { mergeConditions, patchSyncStatus, progressingConditions, recordEvent, safeMessage } from '../status/index.js';
import type { Condition, SyncObject, SyncStatus, UnhealthyObject } from '../sync.js';
import { isHealthTarget } from './kstatus.js';
import { unhealthyObjects, waitForReady } from './wait.js';

export { isHealthTarget, readiness, type Readiness, type NotReadyReason } from './kstatus.js';
export { waitForReady, unhealthyObjects, type ObjectHealth, type WaitOptions } from './wait.js';

/** A condition before its transition time is merged in. */
export type NewCondition = Omit<Condition, 'lastTransitionTime'>;

/** What the health stage needs from the reconcile. */
export interface HealthInput {
  /** Reads the objects (the Sync's own identity, fenced by the reconcile's signal). */
  readonly client: KubeClient;
  /** Writes the Sync's status and events; must outlive the reconcile's deadline. */
  readonly statusClient: KubeClient;
  readonly discovery: Discovery;
  readonly log: Logger;
  readonly sync: SyncObject;
  readonly revision: string;
  /** Every object applied by this reconcile, with what happened to it. */
  readonly applied: readonly AppliedObject[];
  /** The inventory after prune. */
  readonly inventory: readonly InventoryEntry[];
  /** The reconcile's signal: deadline, end of term, shutdown. */
  readonly signal: AbortSignal;
  /** Why the signal fired, once it has: `ReconcileTimeout` means spec.timeout passed. */
  readonly interrupted: () => { readonly reason: string } | undefined;
  /** spec.timeout, for the message. */
  readonly timeoutMs: number;
  /** Values to keep out of every message. */
  readonly secrets: readonly string[];
  /** Pause between polls (tests). */
  readonly pollMs?: number;
}

/** The outcome: the `Healthy` condition and `status.health`. */
export interface HealthOutcome {
  readonly condition: NewCondition;
  readonly health: NonNullable<SyncStatus['health']>;
}

function label(o: UnhealthyObject): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name} (${o.reason})`;
}

function entryLabel(e: InventoryEntry): string {
  const key = parseInventoryId(e.id);
  return key ? `${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name}` : e.id;
}

/** Inventory entries of the objects the last check found not ready that are still applied. */
function previouslyUnhealthy(sync: SyncObject, inventory: readonly InventoryEntry[]): InventoryEntry[] {
  const unhealthy = Array.isArray(sync.status?.health?.unhealthy) ? sync.status.health.unhealthy : [];
  return inventory.filter((e) => {
    const key = parseInventoryId(e.id);
    return !!key && unhealthy.some((u) => u.kind === key.kind && u.name === key.name && (u.namespace ?? '') === key.namespace && groupOf(u.apiVersion) === key.group);
  });
}

/** The previous `Healthy` condition, for a reconcile that decides nothing about health. */
function previousHealthy(sync: SyncObject): NewCondition | undefined {
  const c = sync.status?.conditions?.find((x) => x.type === 'Healthy');
  if (!c) return undefined;
  const { lastTransitionTime: _t, ...rest } = c;
  return rest;
}

/**
 * The `Healthy` entries of the next conditions: `null` drops it (spec.wait is off), undefined
 * keeps the previous one (this reconcile never reached the health stage).
 */
export function healthyConditions(sync: SyncObject, next: NewCondition | null | undefined): NewCondition[] {
  if (next === null) return [];
  const c = next ?? previousHealthy(sync);
  return c ? [c] : [];
}

/** Runs the health stage (see the module comment). Never throws: a failed read is `Healthy=Unknown`. */
export async function checkHealth(input: HealthInput): Promise<HealthOutcome> {
  const { sync, revision } = input;
  const generation = sync.metadata.generation;
  const targetOf = (e: InventoryEntry): boolean => {
    const key = parseInventoryId(e.id);
    return !!key && isHealthTarget(key.group, key.kind);
  };
  const previous = previousHealthy(sync);
  // The first check (spec.wait just set) takes everything applied as the change set: what ran
  // before has never been judged.
  const changed = input.applied.filter((a) => !previous || a.action !== 'unchanged').map((a) => a.entry).filter(targetOf);
  const seen = new Set(changed.map((e) => e.id));
  const targets = [...changed, ...previouslyUnhealthy(sync, input.inventory).filter((e) => !seen.has(e.id))];
  const now = (): string => new Date().toISOString();
  if (targets.length === 0) {
    if (previous?.status === 'True') return { condition: { ...previous, observedGeneration: generation }, health: { checkedTime: now(), unhealthy: [] } };
    return { condition: { type: 'Healthy', status: 'True', reason: 'Healthy', message: `no workload of ${revision} to wait for`, observedGeneration: generation }, health: { checkedTime: now(), unhealthy: [] } };
  }
  const wait = changed.length > 0;
  if (wait) {
    const names = targets.map(entryLabel).join(', ');
    const progressing: NewCondition = { type: 'Healthy', status: 'Unknown', reason: 'Progressing', message: safeMessage(`waiting for ${targets.length} object(s) of ${revision} to become ready: ${names}`, input.secrets), observedGeneration: generation };
    const at = now();
    const conditions = [...progressingConditions(sync.status?.conditions, revision, generation, at).filter((c) => c.type !== 'Healthy'), ...mergeConditions(sync.status?.conditions, [progressing], at)];
    await patchSyncStatus(input.statusClient, sync, { conditions }).catch((err: unknown) => input.log.warn('failed to write status', { error: describe(err) }));
  }
  let results;
  try {
    results = await waitForReady(input.client, input.discovery, targets, { signal: input.signal, once: !wait, ...(input.pollMs ? { pollMs: input.pollMs } : {}) });
  } catch (err) {
    const message = safeMessage(`failed to read the objects of ${revision}: ${describe(err)}`, input.secrets);
    return { condition: { type: 'Healthy', status: 'Unknown', reason: 'HealthCheckFailed', message, observedGeneration: generation }, health: { checkedTime: now(), unhealthy: [] } };
  }
  const unhealthy = unhealthyObjects(results);
  const health = { checkedTime: now(), unhealthy };
  if (unhealthy.length === 0) {
    const condition: NewCondition = { type: 'Healthy', status: 'True', reason: 'Healthy', message: `${targets.length} object(s) of ${revision} ready`, observedGeneration: generation };
    if (previous?.status === 'False') await event(input, 'Normal', 'HealthCheckSucceeded', condition.message);
    return { condition, health };
  }
  const why = input.interrupted();
  if (why && why.reason !== 'ReconcileTimeout') {
    // Shutdown or a lost lease: nobody knows yet; the next reconcile looks again.
    const message = safeMessage(`health check of ${revision} interrupted: not yet ready: ${unhealthy.map(label).join(', ')}`, input.secrets);
    return { condition: { type: 'Healthy', status: 'Unknown', reason: 'HealthCheckInterrupted', message, observedGeneration: generation }, health };
  }
  const timedOut = why?.reason === 'ReconcileTimeout' && results.some((r) => r.readiness.state === 'progressing');
  const when = timedOut ? ` within spec.timeout (${Math.round(input.timeoutMs / 1000)}s)` : '';
  const message = safeMessage(`${unhealthy.length} object(s) of ${revision} not ready${when}: ${unhealthy.map(label).join(', ')}`, input.secrets);
  const condition: NewCondition = { type: 'Healthy', status: 'False', reason: 'HealthCheckFailed', message, observedGeneration: generation };
  // One Warning per distinct failure, not one per re-check.
  if (!(previous?.status === 'False' && previous.message === message)) await event(input, 'Warning', 'HealthCheckFailed', message);
  return { condition, health };
}

async function event(input: HealthInput, type: 'Normal' | 'Warning', reason: string, note: string): Promise<void> {
  await recordEvent(input.statusClient, input.sync, { type, reason, action: 'HealthCheck', note }, input.secrets).catch((err: unknown) =>
    input.log.redacting(input.secrets).warn('failed to record event', { error: describe(err) }),
  );
}
