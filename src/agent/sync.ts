/**
 * The `Sync` custom resource (`sealops.dev/v1alpha1`): its spec, read from untrusted JSON with
 * defaults applied, and its status shape. deploy/crd-sync.yaml is the schema the API server
 * enforces; this parser is the agent's own check, so a bad object gets a clear status reason.
 */
import { InputError } from '../errors.js';
import type { GitRef } from '../git/source.js';
import type { InventoryEntry } from './inventory.js';
import { asRecord as rec } from '../util/record.js';

/** API group and version of Sync. */
export const SYNC_API_VERSION = 'sealops.dev/v1alpha1';
/** Plural resource name of Sync. */
export const SYNC_PLURAL = 'syncs';
/**
 * API path of the Syncs of `namespace` (every namespace when undefined), or of the Sync `name`
 * there: the one place the group, version and plural are put together.
 */
export function syncsPath(namespace: string | undefined, name?: string): string {
  const ns = namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  return `/apis/${SYNC_API_VERSION}${ns}/${SYNC_PLURAL}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

/** Name of the default keys Secret in the agent's namespace. */
export const DEFAULT_KEYS_SECRET = 'sealops-keys';

/** A Sync as the API server returns it. */
export interface SyncObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    generation?: number;
    resourceVersion?: string;
    uid?: string;
    annotations?: Record<string, string>;
    managedFields?: readonly ManagedFieldsEntry[];
  };
  spec?: unknown;
  status?: SyncStatus;
}

/** One entry of `metadata.managedFields`: who set which fields. */
export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  fieldsV1?: unknown;
}

/**
 * Annotation on a Sync that lifts the deletion guard for exactly one commit: its value is the
 * full commit id whose prune may delete beyond the guard.
 */
export const MASS_DELETION_ANNOTATION = 'sealops.dev/allow-mass-deletion';

/** A condition in the Kubernetes convention. */
export interface Condition {
  type: 'Ready' | 'Reconciling' | 'Stalled' | 'Healthy';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** One applied revision in `status.history` (newest first), as Flux's `status.history`. */
export interface HistoryEntry {
  /** `<ref>@sha1:<commit>`. */
  revision: string;
  /** When this revision was first applied (RFC 3339). */
  firstAppliedTime: string;
  /** When it was last applied (re-applies of the same revision update this and `applies`). */
  lastAppliedTime: string;
  /** How many reconciles applied it. */
  applies: number;
  /** Objects created/configured/unchanged/deleted by the first apply of this revision. */
  counts: { created: number; configured: number; unchanged: number; deleted: number };
  /** `sha256:<hex>` over the applied objects' identities and non-secret content (never a value). */
  digest: string;
}

/** One object that differs from git in the cluster: where, never what. */
export interface DriftedObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** JSON pointers (RFC 6901) of the fields that differ; for a Secret, `/data/<key>` only. */
  paths: string[];
  /** The object is gone from the cluster. */
  missing?: boolean;
}

/** `status.drift`: the last drift check. */
export interface DriftStatus {
  /** When the check ran (RFC 3339). */
  checkedTime: string;
  /** Revision the live objects were compared with. */
  revision: string;
  /** `report` (recorded only) or `correct` (re-applied). */
  mode: 'correct' | 'report';
  /** Objects that differed at the check (after `spec.drift.ignore`). */
  objects: DriftedObject[];
}

/** An object of the change set that is not ready, in `status.health`. */
export interface UnhealthyObject {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  /** Short, fixed-vocabulary reason (e.g. `ProgressDeadlineExceeded`, `JobFailed`, `NotReady`). */
  reason: string;
}

/** What the agent writes to `status`. */
export interface SyncStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  lastAppliedTime?: string;
  inventory?: { entries: InventoryEntry[] };
  /** Last applied revisions, newest first (at most {@link HISTORY_LIMIT}). */
  history?: HistoryEntry[];
  /** The last drift check; absent when none ran. */
  drift?: DriftStatus;
  /** With `spec.wait`: the objects of the last change set that are not ready (empty when healthy). */
  health?: { checkedTime: string; unhealthy: UnhealthyObject[] };
  /** Fingerprints (see keys/fingerprint.ts) of the key sets that opened this revision's sealed files. */
  keysInUse?: string[];
  /** Version of the agent that wrote this status. */
  agentVersion?: string;
}

/** How many entries `status.history` keeps. */
export const HISTORY_LIMIT = 10;

/** `spec.drift.ignore[]`: fields of one object (or every object of a kind) that other controllers own. */
export interface DriftIgnoreRule {
  readonly target: { readonly kind?: string; readonly name?: string; readonly namespace?: string };
  /** JSON pointers (RFC 6901). */
  readonly paths: readonly string[];
}

/**
 * `spec.source.verify`: the fetched commit must be signed by a key of the named Secret (in the
 * Sync's namespace) before anything is built. `mode` is `HEAD` (the commit the ref points at),
 * the only mode there is.
 */
export interface SourceVerify {
  readonly mode: 'HEAD';
  /** Secret with `allowed_signers` (git's gpg.ssh.allowedSignersFile format) and/or `*.asc` OpenPGP public keys. */
  readonly secretRef: string;
}

/** The spec with defaults applied. */
export interface SyncSpec {
  readonly source: {
    readonly url: string;
    readonly ref: GitRef;
    readonly secretRef?: string;
    readonly verify?: SourceVerify;
    /** `spec.source.limits.maxFileSize`, bytes (undefined: the agent's default). */
    readonly maxFileBytes?: number;
    /** `spec.source.limits.maxTotalSize`, bytes (undefined: the agent's default). */
    readonly maxTotalBytes?: number;
  };
  /** Folder inside the repository ('' for the root). */
  readonly path: string;
  /** Milliseconds between reconciles. */
  readonly intervalMs: number;
  /** Time limit of one reconcile (fetch and apply), milliseconds. */
  readonly timeoutMs: number;
  readonly prune: boolean;
  readonly suspend: boolean;
  /** Keys Secret; undefined means the agent's default. */
  readonly decryptionSecretRef?: string;
  /** Accept SOPS Secrets without a `sealops.dev/scope` binding (sealed by plain sops), with a warning. */
  readonly allowUnbound: boolean;
  /** Largest share of the inventory (percent) one reconcile may delete. */
  readonly maxDeletionPercent: number;
  /** Lifts {@link maxDeletionPercent}. */
  readonly allowMassDeletion: boolean;
  /** Kustomize Components added to the build, relative to {@link path} (Flux's `spec.components`). */
  readonly components: readonly string[];
  /** Namespace set on every namespaced object (Flux's `spec.targetNamespace`). */
  readonly targetNamespace?: string;
  /** Post-build variable substitution (Flux's `spec.postBuild`); absent means none. */
  readonly postBuild?: PostBuildSpec;
  /** ServiceAccount of the Sync's namespace that the agent impersonates to apply and prune. */
  readonly serviceAccountName?: string;
  /** `spec.wait`: after applying, wait for the change set to become ready (within `timeoutMs`). */
  readonly wait: boolean;
  /** `spec.driftInterval`, milliseconds: how often live objects are compared with git between commits; undefined: at every reconcile. */
  readonly driftIntervalMs?: number;
  /** `spec.drift`: `correct` (default) re-applies drifted objects, `report` only records them. */
  readonly drift: { readonly mode: 'correct' | 'report'; readonly ignore: readonly DriftIgnoreRule[] };
}

/** `spec.postBuild`: variables, and ConfigMaps/Secrets of the Sync's namespace to read them from. */
export interface PostBuildSpec {
  readonly substitute: Readonly<Record<string, string>>;
  readonly substituteFrom: readonly { readonly kind: 'ConfigMap' | 'Secret'; readonly name: string; readonly optional: boolean }[];
}

function parsePostBuild(value: unknown): PostBuildSpec | undefined {
  if (value === undefined || value === null) return undefined;
  const pb = rec(value);
  if (!pb) throw new InputError('failed to read Sync spec: spec.postBuild must be an object');
  const substitute: Record<string, string> = {};
  for (const [k, v] of Object.entries(rec(pb.substitute) ?? {})) {
    if (typeof v !== 'string') throw new InputError(`failed to read Sync spec: spec.postBuild.substitute.${k} must be a string`);
    substitute[k] = v;
  }
  if (pb.substituteFrom !== undefined && !Array.isArray(pb.substituteFrom)) throw new InputError('failed to read Sync spec: spec.postBuild.substituteFrom must be a list');
  const substituteFrom = ((pb.substituteFrom as unknown[] | undefined) ?? []).map((entry, i) => {
    const e = rec(entry);
    const kind = e?.kind;
    const name = e?.name;
    if ((kind !== 'ConfigMap' && kind !== 'Secret') || typeof name !== 'string' || name === '') {
      throw new InputError(`failed to read Sync spec: spec.postBuild.substituteFrom[${i}] needs kind ConfigMap or Secret and a name`);
    }
    return { kind, name, optional: e?.optional === true } as const;
  });
  return { substitute, substituteFrom };
}

function parseDrift(value: unknown): SyncSpec['drift'] {
  if (value === undefined || value === null) return { mode: 'correct', ignore: [] };
  const drift = rec(value);
  if (!drift) throw new InputError('failed to read Sync spec: spec.drift must be an object');
  const mode = optString(drift.mode, 'spec.drift.mode') ?? 'correct';
  if (mode !== 'correct' && mode !== 'report') throw new InputError('failed to read Sync spec: spec.drift.mode must be correct or report');
  if (drift.ignore !== undefined && !Array.isArray(drift.ignore)) throw new InputError('failed to read Sync spec: spec.drift.ignore must be a list');
  const ignore = ((drift.ignore as unknown[] | undefined) ?? []).map((entry, i): DriftIgnoreRule => {
    const field = `spec.drift.ignore[${i}]`;
    const e = rec(entry);
    const target = rec(e?.target) ?? {};
    const paths = e?.paths;
    if (!Array.isArray(paths) || paths.length === 0 || paths.some((p) => typeof p !== 'string' || (p !== '' && !p.startsWith('/')))) {
      throw new InputError(`failed to read Sync spec: ${field}.paths must be a list of JSON pointers (/spec/replicas)`);
    }
    const kind = optString(target.kind, `${field}.target.kind`);
    const name = optString(target.name, `${field}.target.name`);
    const namespace = optString(target.namespace, `${field}.target.namespace`);
    return { target: { ...(kind ? { kind } : {}), ...(name ? { name } : {}), ...(namespace ? { namespace } : {}) }, paths: paths as string[] };
  });
  return { mode, ignore };
}

/** Parses a Go-style duration (`90s`, `5m`, `1h30m`) into milliseconds. */
export function parseDuration(text: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  if (!/^(\d+(?:\.\d+)?(ms|s|m|h))+$/.test(text)) throw new InputError(`failed to read duration ${JSON.stringify(text)}: use e.g. 30s, 5m, 1h`);
  let ms = 0;
  for (const m of text.matchAll(re)) {
    const n = Number(m[1]);
    ms += n * ({ ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const)[m[2] as 'ms' | 's' | 'm' | 'h'];
  }
  return ms;
}

function optString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new InputError(`failed to read Sync spec: ${field} must be a string`);
  return v;
}

function parseVerify(value: unknown): SourceVerify | undefined {
  if (value === undefined || value === null) return undefined;
  const verify = rec(value);
  if (!verify) throw new InputError('failed to read Sync spec: spec.source.verify must be an object');
  const mode = optString(verify.mode, 'spec.source.verify.mode') ?? 'HEAD';
  if (mode.toUpperCase() !== 'HEAD') throw new InputError('failed to read Sync spec: spec.source.verify.mode must be HEAD');
  const secretRef = optString(rec(verify.secretRef)?.name, 'spec.source.verify.secretRef.name');
  // No silent downgrade: asking for verification without keys is an error, not "verify nothing".
  if (!secretRef) throw new InputError('failed to read Sync spec: spec.source.verify.secretRef.name is required');
  return { mode: 'HEAD', secretRef };
}

/** Parses a size: bytes as an integer, or a Kubernetes quantity with a binary suffix (`8Mi`). */
export function parseSize(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  const m = typeof value === 'string' || typeof value === 'number' ? /^(\d+)(Ki|Mi|Gi)?$/.exec(String(value)) : null;
  const unit: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
  const n = m ? Number(m[1]) * (unit[m[2] ?? ''] ?? 1) : NaN;
  if (!m || !Number.isSafeInteger(n) || n < 1) throw new InputError(`failed to read Sync spec: ${field} must be a size such as 8Mi or 8388608`);
  return n;
}

/** Reads and defaults a Sync's spec; throws InputError naming the bad field. */
export function parseSyncSpec(value: unknown): SyncSpec {
  const spec = rec(value);
  if (!spec) throw new InputError('failed to read Sync spec: spec is missing');
  const source = rec(spec.source);
  const url = optString(source?.url, 'spec.source.url');
  if (!url) throw new InputError('failed to read Sync spec: spec.source.url is required');
  const refIn = rec(source?.ref) ?? {};
  const ref: GitRef = {
    branch: optString(refIn.branch, 'spec.source.ref.branch'),
    tag: optString(refIn.tag, 'spec.source.ref.tag'),
    commit: optString(refIn.commit, 'spec.source.ref.commit'),
  };
  const secretRef = optString(rec(source?.secretRef)?.name, 'spec.source.secretRef.name');
  const verify = parseVerify(source?.verify);
  const limits = rec(source?.limits) ?? {};
  const maxFileBytes = parseSize(limits.maxFileSize, 'spec.source.limits.maxFileSize');
  const maxTotalBytes = parseSize(limits.maxTotalSize, 'spec.source.limits.maxTotalSize');
  const path = (optString(spec.path, 'spec.path') ?? '').replace(/^\.?\/+/, '');
  if (path.split('/').includes('..')) throw new InputError('failed to read Sync spec: spec.path must stay inside the repository');
  const intervalMs = parseDuration(optString(spec.interval, 'spec.interval') ?? '5m');
  if (intervalMs < 1000) throw new InputError('failed to read Sync spec: spec.interval must be at least 1s');
  const timeoutMs = parseDuration(optString(spec.timeout, 'spec.timeout') ?? '2m');
  const guard = rec(spec.deletionGuard) ?? {};
  const maxDeletionPercent = guard.maxPercent === undefined ? 50 : Number(guard.maxPercent);
  if (!Number.isInteger(maxDeletionPercent) || maxDeletionPercent < 0 || maxDeletionPercent > 100) {
    throw new InputError('failed to read Sync spec: spec.deletionGuard.maxPercent must be an integer from 0 to 100');
  }
  const components = spec.components ?? [];
  if (!Array.isArray(components) || components.some((c) => typeof c !== 'string' || c === '')) {
    throw new InputError('failed to read Sync spec: spec.components must be a list of paths');
  }
  const targetNamespace = optString(spec.targetNamespace, 'spec.targetNamespace');
  if (targetNamespace !== undefined && !/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(targetNamespace)) {
    throw new InputError('failed to read Sync spec: spec.targetNamespace must be a namespace name');
  }
  const serviceAccountName = optString(spec.serviceAccountName, 'spec.serviceAccountName');
  if (serviceAccountName !== undefined && !/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(serviceAccountName)) {
    throw new InputError('failed to read Sync spec: spec.serviceAccountName must be a ServiceAccount name');
  }
  const driftInterval = optString(spec.driftInterval, 'spec.driftInterval');
  const driftIntervalMs = driftInterval === undefined ? undefined : parseDuration(driftInterval);
  if (driftIntervalMs !== undefined && driftIntervalMs < 1000) throw new InputError('failed to read Sync spec: spec.driftInterval must be at least 1s');
  return {
    source: { url, ref, secretRef, ...(verify ? { verify } : {}), ...(maxFileBytes ? { maxFileBytes } : {}), ...(maxTotalBytes ? { maxTotalBytes } : {}) },
    ...(serviceAccountName ? { serviceAccountName } : {}),
    components: components as string[],
    ...(spec.postBuild !== undefined && spec.postBuild !== null ? { postBuild: parsePostBuild(spec.postBuild) } : {}),
    ...(targetNamespace ? { targetNamespace } : {}),
    path,
    intervalMs,
    timeoutMs,
    prune: spec.prune === undefined ? true : spec.prune === true,
    suspend: spec.suspend === true,
    decryptionSecretRef: optString(rec(rec(spec.decryption)?.secretRef)?.name, 'spec.decryption.secretRef.name'),
    allowUnbound: rec(spec.decryption)?.allowUnbound === true,
    maxDeletionPercent,
    allowMassDeletion: guard.allowMassDeletion === true,
    wait: spec.wait === true,
    ...(driftIntervalMs !== undefined ? { driftIntervalMs } : {}),
    drift: parseDrift(spec.drift),
  };
}

/** The revision string shown in status: `<ref>@sha1:<commit>`. */
export function revisionOf(ref: GitRef, commit: string): string {
  const name = ref.branch ?? ref.tag ?? (ref.commit ? 'commit' : 'HEAD');
  return `${name}@sha1:${commit}`;
}

/** The field manager of the agent's server-side apply (see apply/). */
const AGENT_FIELD_MANAGER = 'sealops';

function managedByAgent(sync: SyncObject, path: readonly string[]): boolean {
  return (sync.metadata.managedFields ?? []).some((m) => {
    if (m.manager !== AGENT_FIELD_MANAGER) return false;
    let node: unknown = m.fieldsV1;
    for (const key of path) {
      node = rec(node)?.[`f:${key}`];
      if (node === undefined) return false;
    }
    return true;
  });
}

/**
 * Whether the deletion guard is lifted for `commit`, and by whom. The override must come from
 * outside the synced repository: a commit that deletes everything must not be able to allow
 * itself to. So a field counts only when the agent's own apply did not write it (a Sync managed
 * from git gets its fields from the agent's field manager `sealops`). Two forms:
 * - the annotation {@link MASS_DELETION_ANNOTATION} naming exactly this commit (one-shot);
 * - `spec.deletionGuard.allowMassDeletion: true`, standing, set by hand or another tool.
 */
export function massDeletionOverride(sync: SyncObject, spec: SyncSpec, commit: string): { allowed: boolean; ignored?: string } {
  const annotation = sync.metadata.annotations?.[MASS_DELETION_ANNOTATION];
  const annotationFromGit = managedByAgent(sync, ['metadata', 'annotations', MASS_DELETION_ANNOTATION]);
  const specFromGit = managedByAgent(sync, ['spec', 'deletionGuard', 'allowMassDeletion']);
  if (annotation !== undefined && annotation.trim() === commit && !annotationFromGit) return { allowed: true };
  if (spec.allowMassDeletion && !specFromGit) return { allowed: true };
  if (spec.allowMassDeletion || (annotation !== undefined && annotationFromGit)) {
    return { allowed: false, ignored: 'the override was written by the agent from the synced repository; set it on the Sync from outside (kubectl annotate)' };
  }
  return { allowed: false };
}
