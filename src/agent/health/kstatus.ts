/**
 * Whether one live object is ready, by the rules of kstatus (the status library of
 * sigs.k8s.io/cli-utils that Flux and kpt use): built-in workloads by their replica counts and
 * conditions, anything else by `status.observedGeneration` and kstatus-style conditions
 * (`Stalled`, `Reconciling`, `Ready`, `Available`). Pure: no I/O.
 */
import { isRecord } from '../../util/record.js';

/** Why an object is not ready, in a fixed vocabulary (never text taken from the object). */
export type NotReadyReason =
  | 'NotObserved'
  | 'NotReady'
  | 'Unavailable'
  | 'ProgressDeadlineExceeded'
  | 'JobFailed'
  | 'PodFailed'
  | 'Stalled'
  | 'Missing';

/** Where an object stands: ready, still progressing (wait), or failed (no point waiting). */
export type Readiness = { readonly state: 'ready' } | { readonly state: 'progressing' | 'failed'; readonly reason: NotReadyReason };

const READY: Readiness = { state: 'ready' };
const progressing = (reason: NotReadyReason): Readiness => ({ state: 'progressing', reason });
const failed = (reason: NotReadyReason): Readiness => ({ state: 'failed', reason });

/** Built-in API groups whose kinds have no readiness to wait for (RBAC, CRDs, policies, …). */
const NO_READINESS_GROUPS = new Set([
  'rbac.authorization.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'admissionregistration.k8s.io',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'certificates.k8s.io',
  'coordination.k8s.io',
  'discovery.k8s.io',
  'events.k8s.io',
  'flowcontrol.apiserver.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'resource.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
]);

const WORKLOADS: Readonly<Record<string, readonly string[]>> = {
  '': ['Pod', 'ReplicationController'],
  apps: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'],
  batch: ['Job'],
};

/**
 * Whether objects of `group`/`kind` are waited for: the built-in workloads, and every kind
 * outside the built-in groups (custom resources, judged by their conditions). Secrets,
 * ConfigMaps and the like are never read back.
 */
export function isHealthTarget(group: string, kind: string): boolean {
  const workloads = WORKLOADS[group];
  if (workloads) return workloads.includes(kind);
  return !NO_READINESS_GROUPS.has(group);
}

interface Cond {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
}

function conditions(status: Record<string, unknown>): Cond[] {
  return Array.isArray(status.conditions) ? status.conditions.filter(isRecord) : [];
}

function cond(list: readonly Cond[], type: string): Cond | undefined {
  return list.find((c) => c.type === type);
}

function num(v: unknown, fallback = 0): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
}

/** The controller has not seen the latest spec yet. */
function unobserved(obj: Record<string, unknown>, status: Record<string, unknown>, required: boolean): boolean {
  const generation = isRecord(obj.metadata) ? obj.metadata.generation : undefined;
  if (typeof generation !== 'number') return false;
  if (typeof status.observedGeneration !== 'number') return required;
  return status.observedGeneration < generation;
}

function deployment(spec: Record<string, unknown>, status: Record<string, unknown>): Readiness {
  const list = conditions(status);
  const progress = cond(list, 'Progressing');
  if (progress?.status === 'False' && progress.reason === 'ProgressDeadlineExceeded') return failed('ProgressDeadlineExceeded');
  const desired = num(spec.replicas, 1);
  const updated = num(status.updatedReplicas);
  // Old pods still running: the rollout is not done.
  if (updated < desired || num(status.replicas) > updated) return progressing('NotReady');
  if (num(status.availableReplicas) < desired || cond(list, 'Available')?.status === 'False') return progressing('Unavailable');
  return READY;
}

function statefulSet(spec: Record<string, unknown>, status: Record<string, unknown>): Readiness {
  const desired = num(spec.replicas, 1);
  if (num(status.readyReplicas) < desired) return progressing('NotReady');
  const strategy = isRecord(spec.updateStrategy) ? spec.updateStrategy : {};
  if (strategy.type === 'OnDelete') return READY;
  const partition = num(isRecord(strategy.rollingUpdate) ? strategy.rollingUpdate.partition : undefined);
  if (num(status.updatedReplicas) < desired - partition) return progressing('NotReady');
  if (partition === 0 && typeof status.updateRevision === 'string' && status.currentRevision !== status.updateRevision) return progressing('NotReady');
  return READY;
}

function daemonSet(status: Record<string, unknown>): Readiness {
  const desired = num(status.desiredNumberScheduled);
  if (num(status.updatedNumberScheduled) < desired) return progressing('NotReady');
  if (num(status.numberAvailable) < desired) return progressing('Unavailable');
  return READY;
}

function replicas(spec: Record<string, unknown>, status: Record<string, unknown>): Readiness {
  const desired = num(spec.replicas, 1);
  if (num(status.readyReplicas) < desired) return progressing('NotReady');
  if (num(status.availableReplicas) < desired) return progressing('Unavailable');
  return READY;
}

function job(spec: Record<string, unknown>, status: Record<string, unknown>): Readiness {
  const list = conditions(status);
  // FailureTarget comes first: the Job has failed and its pods are being removed.
  if (cond(list, 'Failed')?.status === 'True' || cond(list, 'FailureTarget')?.status === 'True') return failed('JobFailed');
  if (cond(list, 'Complete')?.status === 'True' || cond(list, 'SuccessCriteriaMet')?.status === 'True') return READY;
  // A suspended Job is where it was asked to be.
  if (spec.suspend === true) return READY;
  return progressing('NotReady');
}

function pod(status: Record<string, unknown>): Readiness {
  if (status.phase === 'Succeeded') return READY;
  if (status.phase === 'Failed') return failed('PodFailed');
  if (status.phase === 'Running' && cond(conditions(status), 'Ready')?.status === 'True') return READY;
  return progressing('NotReady');
}

/** kstatus's generic rules: abnormal-true `Stalled`/`Reconciling`, then `Ready`, then `Available`. */
function generic(status: Record<string, unknown>): Readiness {
  const list = conditions(status);
  if (cond(list, 'Stalled')?.status === 'True') return failed('Stalled');
  if (cond(list, 'Reconciling')?.status === 'True') return progressing('NotReady');
  const ready = cond(list, 'Ready');
  if (ready) return ready.status === 'True' ? READY : progressing('NotReady');
  const available = cond(list, 'Available');
  if (available && available.status !== 'True') return progressing('Unavailable');
  return READY;
}

/** The readiness of `obj` (as read from the API server) of `group`/`kind`. */
export function readiness(group: string, kind: string, obj: unknown): Readiness {
  if (!isRecord(obj)) return failed('Missing');
  const spec = isRecord(obj.spec) ? obj.spec : {};
  const status = isRecord(obj.status) ? obj.status : {};
  // The built-in workload controllers write observedGeneration (the Job and Pod ones do not);
  // for a custom resource it is optional.
  const writesObserved = WORKLOADS[group]?.includes(kind) === true && kind !== 'Pod' && kind !== 'Job';
  if (unobserved(obj, status, writesObserved)) return progressing('NotObserved');
  if (group === 'apps' && kind === 'Deployment') return deployment(spec, status);
  if (group === 'apps' && kind === 'StatefulSet') return statefulSet(spec, status);
  if (group === 'apps' && kind === 'DaemonSet') return daemonSet(status);
  if ((group === 'apps' && kind === 'ReplicaSet') || (group === '' && kind === 'ReplicationController')) return replicas(spec, status);
  if (group === 'batch' && kind === 'Job') return job(spec, status);
  if (group === '' && kind === 'Pod') return pod(status);
  return generic(status);
}
