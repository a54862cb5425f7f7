/**
 * Drift between commits (`spec.driftInterval`, `spec.drift`): the live objects compared with
 * what git says, through the agent's own server-side dry-run against each live object.
 *
 * - `correct` (default): drifted objects are recorded and then re-applied by the apply stage
 *   (their apply-cache entries are dropped so none is skipped).
 * - `report`: drifted objects are recorded in `status.drift` and an Event `DriftDetected`, and
 *   nothing is written to any applied object while the revision stays the same.
 * `spec.drift.ignore` removes fields other controllers own from both: they never count as drift,
 * and the apply keeps their live value. A check never moves `lastAppliedRevision`; every request
 * goes through the reconcile's fenced clients, so leadership and the deadline bound it.
 * Reports carry object names and JSON pointers only; a Secret's drift is `/data/<key>`.
 */
import type { Manifest } from '../../build/index.js';
import { describe } from '../../errors.js';
import type { KubeClient } from '../../kube/client.js';
import type { Discovery } from '../../kube/discovery.js';
import { digest, type ApplyCache, type SeenObject } from '../apply/index.js';
import { mapLimit } from '../../util/pool.js';
import type { Logger } from '../log.js';
import { patchSyncStatus, recordEvent, safeMessage } from '../status/index.js';
import type { DriftedObject, DriftIgnoreRule, DriftStatus, SyncObject, SyncSpec } from '../sync.js';
import { dryRun, pairWithLive, respectIgnored, type LivePair } from './live.js';
import { changedPaths, ignoredPointers, withoutIgnored } from './paths.js';

export { changedPaths, ignoredPointers, withoutIgnored, escapeToken } from './paths.js';
export { pairWithLive, respectIgnored, dryRun, type LivePair } from './live.js';

/** Whether the Sync's last applied revision and spec are the ones at hand (no new commit, no new spec). */
export function betweenCommits(sync: SyncObject, revision: string): boolean {
  return revision === sync.status?.lastAppliedRevision && sync.metadata.generation === sync.status.observedGeneration;
}

/** Whether a drift check is due now: between commits, and `spec.driftInterval` elapsed since the last check of this revision. */
export function driftCheckDue(sync: SyncObject, spec: SyncSpec, revision: string, now: number): boolean {
  if (!betweenCommits(sync, revision)) return false;
  const last = sync.status?.drift;
  if (spec.driftIntervalMs === undefined || !last || last.revision !== revision || last.mode !== spec.drift.mode) return true;
  const at = Date.parse(last.checkedTime);
  return !Number.isFinite(at) || now - at >= spec.driftIntervalMs;
}

/**
 * How long the controller may wait before the next reconcile of this Sync: its interval, or its
 * drift interval when that is shorter.
 */
export function nextCheckInterval(spec: Pick<SyncSpec, 'intervalMs' | 'driftIntervalMs'>): number {
  return spec.driftIntervalMs === undefined ? spec.intervalMs : Math.max(1000, Math.min(spec.intervalMs, spec.driftIntervalMs));
}

/** The drifted objects among `pairs` (already paired with their live objects), after `rules`. */
async function detectDrift(client: KubeClient, pairs: readonly LivePair[], rules: readonly DriftIgnoreRule[], concurrency = 8, cache?: ApplyCache): Promise<DriftedObject[]> {
  const found = new Map<LivePair, DriftedObject>();
  await mapLimit(pairs, concurrency, async (p) => {
    const o = p.m.object;
    const ignored = ignoredPointers(rules, { kind: o.kind, name: o.metadata.name, namespace: p.namespace });
    if (ignored.includes('')) return;
    const id = { apiVersion: o.apiVersion, kind: o.kind, ...(p.namespace ? { namespace: p.namespace } : {}), name: o.metadata.name };
    if (!p.live) {
      found.set(p, { ...id, paths: [], missing: true });
      return;
    }
    // Still exactly what the agent's last apply left (same manifest, same resourceVersion): no drift, no dry-run.
    const known = cache?.get(p.id);
    if (known && known.resourceVersion === p.live.metadata.resourceVersion && known.digest === digest(p.body)) return;
    p.dry = await dryRun(client, p);
    const paths = withoutIgnored(changedPaths(p.dry, p.live, o.kind), ignored);
    if (paths.length) found.set(p, { ...id, paths });
  });
  // Apply order, not completion order.
  return pairs.flatMap((p) => (found.has(p) ? [found.get(p)!] : []));
}

function label(d: DriftedObject): string {
  return `${d.kind} ${d.namespace ? `${d.namespace}/` : ''}${d.name}`;
}

/** The Event note: objects and paths, never a value; short enough for an Event. */
export function driftNote(drift: DriftStatus): string {
  const parts = drift.objects.map((d) => `${label(d)} ${d.missing ? '(missing)' : `(${d.paths.join(', ')})`}`);
  const action = drift.mode === 'report' ? 'recorded only (spec.drift.mode report)' : 're-applying (spec.drift.mode correct)';
  let note = `${drift.objects.length} object(s) differ from ${drift.revision}, ${action}: ${parts.join('; ')}`;
  if (note.length > 1000) note = `${note.slice(0, 990)} …`;
  return note;
}

/** Whether two checks found the same objects and paths (the API server may reorder fields). */
function sameDrift(a: DriftStatus | undefined, b: DriftStatus): boolean {
  const key = (d: DriftStatus): string => JSON.stringify(d.objects.map((o) => [o.apiVersion, label(o), o.missing === true, [...o.paths].sort()]).sort());
  return !!a && a.revision === b.revision && a.mode === b.mode && key(a) === key(b);
}

/** What the reconcile hands the drift stage. */
export interface DriftStageInput {
  /** Fenced client of the agent's own identity: status and Events. */
  readonly client: KubeClient;
  /** Fenced client of the Sync's identity: reads and dry-runs of its objects. */
  readonly writer: KubeClient;
  readonly discovery: Discovery;
  readonly sync: SyncObject;
  readonly spec: SyncSpec;
  readonly revision: string;
  readonly manifests: Manifest[];
  readonly log: Logger;
  /** Values every published text is redacted against. */
  readonly secrets: readonly string[];
  /** The Sync's apply cache: drifted objects leave it so the apply re-sends them. */
  readonly cache?: ApplyCache;
  readonly concurrency?: number;
  /** True once the reconcile was cut short (deadline, leadership, shutdown): errors then propagate. */
  readonly interrupted: () => boolean;
}

/** What the reconcile does next. */
export interface DriftStageResult {
  /** The manifests to apply (ignored fields carry their live values). */
  readonly manifests: Manifest[];
  /** What this stage read of those manifests, for the apply not to read it again. */
  readonly seen?: ReadonlyMap<Manifest, SeenObject>;
  /** Set in `report` mode between commits: apply nothing, end the reconcile with this message. */
  readonly stop?: string;
}

const idle = (revision: string): string => `${revision} is applied; nothing re-applied between commits (spec.drift.mode report)`;

/** Runs the drift stage of one reconcile (see the module comment). */
export async function driftStage(input: DriftStageInput): Promise<DriftStageResult> {
  const { sync, spec, revision } = input;
  const owner = { namespace: sync.metadata.namespace, name: sync.metadata.name };
  const rules = spec.drift.ignore;
  const due = driftCheckDue(sync, spec, revision, Date.now());
  const report = spec.drift.mode === 'report' && betweenCommits(sync, revision);
  // Report mode between checks applies nothing, so nothing needs the live objects either.
  if (!due && (report || rules.length === 0)) return report ? { manifests: input.manifests, stop: idle(revision) } : { manifests: input.manifests };
  let objects: DriftedObject[] | undefined;
  let manifests = input.manifests;
  const seen = new Map<Manifest, SeenObject>();
  try {
    // Only objects an ignore rule names need their live state when no check is due.
    const named = (m: Manifest): boolean => ignoredPointers(rules, { kind: m.object.kind, name: m.object.metadata.name, namespace: m.object.metadata.namespace ?? 'default' }).length > 0;
    const wanted = due ? input.manifests : input.manifests.filter(named);
    const pairs = await pairWithLive(input.writer, input.discovery, wanted, owner, input.concurrency);
    respectIgnored(pairs, rules, owner);
    // pairWithLive keeps the order of its input.
    const byManifest = new Map(wanted.map((m, i) => [m, pairs[i]!.m]));
    manifests = input.manifests.map((m) => byManifest.get(m) ?? m);
    if (due) {
      objects = await detectDrift(input.writer, pairs, rules, input.concurrency, input.cache);
      const drifted = new Set(objects.map((d) => `${d.kind}/${d.namespace ?? ''}/${d.name}`));
      for (const p of pairs) if (drifted.has(`${p.m.object.kind}/${p.namespace}/${p.m.object.metadata.name}`)) input.cache?.delete(p.id);
    }
    for (const p of pairs) if (p.info) seen.set(p.m, { live: p.live, ...(p.dry ? { dry: p.dry } : {}) });
  } catch (err) {
    if (input.interrupted()) throw err;
    const message = safeMessage(`failed to check drift of ${revision}: ${describe(err)}`, input.secrets);
    input.log.warn('drift check failed', { error: message });
    // Whatever was adjusted for ignored fields before the failure still holds.
    return report ? { manifests, stop: message } : { manifests };
  }
  if (!objects) return report ? { manifests, stop: idle(revision) } : { manifests, seen };
  const drift: DriftStatus = { checkedTime: new Date().toISOString(), revision, mode: spec.drift.mode, objects };
  await patchSyncStatus(input.client, sync, { drift }).catch((err: unknown) => input.log.warn('failed to write status', { error: describe(err) }));
  if (objects.length) {
    input.log.warn('drift detected', { mode: drift.mode, objects: objects.map((d) => ({ object: label(d), paths: d.paths, ...(d.missing ? { missing: true } : {}) })) });
    // In report mode the same drift is announced once, not at every check.
    if (drift.mode === 'correct' || !sameDrift(sync.status?.drift, drift)) {
      await recordEvent(input.client, sync, { type: 'Warning', reason: 'DriftDetected', action: 'DriftCheck', note: driftNote(drift) }, input.secrets).catch((err: unknown) =>
        input.log.warn('failed to record event', { error: describe(err) }),
      );
    }
  }
  if (!report) return { manifests, seen };
  const stop = objects.length
    ? `${revision} is applied; ${objects.length} object(s) drifted from git, recorded only (spec.drift.mode report)`
    : `${revision} is applied; no drift (spec.drift.mode report)`;
  return { manifests, stop };
}
