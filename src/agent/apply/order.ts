/**
 * The deterministic order objects are applied in (and, reversed, pruned in).
 *
 * Stage one holds what other objects depend on to even be validated: CustomResourceDefinitions
 * and Namespaces. Stage two follows a kind order modelled on Flux's and Helm's install order,
 * so ServiceAccounts and ConfigMaps exist before the workloads that mount them, and admission
 * webhooks come last (applying one early could reject the rest of the change set).
 */

const KIND_ORDER = [
  'CustomResourceDefinition',
  'Namespace',
  'ResourceQuota',
  'LimitRange',
  'PriorityClass',
  'StorageClass',
  'IngressClass',
  'RuntimeClass',
  'ServiceAccount',
  'ClusterRole',
  'ClusterRoleBinding',
  'Role',
  'RoleBinding',
  'Secret',
  'ConfigMap',
  'PersistentVolume',
  'PersistentVolumeClaim',
  'Service',
  'DaemonSet',
  'Pod',
  'ReplicaSet',
  'Deployment',
  'StatefulSet',
  'Job',
  'CronJob',
  'HorizontalPodAutoscaler',
  'PodDisruptionBudget',
  'NetworkPolicy',
  'Ingress',
  'APIService',
];

/** Kinds that go after everything else, in this order. */
const LAST = ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'ValidatingAdmissionPolicy', 'ValidatingAdmissionPolicyBinding'];

/** Whether objects of `kind` (in `group`) are applied in the first stage. */
export function isStageOne(group: string, kind: string): boolean {
  return (kind === 'CustomResourceDefinition' && group === 'apiextensions.k8s.io') || (kind === 'Namespace' && group === '');
}

/** Rank of a kind: known kinds in the table order, unknown kinds after them, webhooks last. */
export function kindRank(kind: string): number {
  const last = LAST.indexOf(kind);
  if (last >= 0) return 10_000 + last;
  const known = KIND_ORDER.indexOf(kind);
  return known >= 0 ? known : 5_000;
}

/** What the sort needs to know of an object. */
export interface Sortable {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Compares two objects in apply order: kind rank, then kind, group, namespace, name. */
export function compareApplyOrder(a: Sortable, b: Sortable): number {
  const ra = kindRank(a.kind);
  const rb = kindRank(b.kind);
  if (ra !== rb) return ra - rb;
  for (const k of ['kind', 'group', 'namespace', 'name'] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}
