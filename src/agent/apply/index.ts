/**
 * Apply stage: server-side apply with field manager `sealops` and forced ownership.
 *
 * 1. Resolve every object's resource; default the namespace of namespaced objects; label it.
 * 2. Dry-run every object that can be validated now. Objects that need a Namespace or a CRD
 *    from this same change set are deferred. Any other failure: nothing is written.
 * 3. Write the changed CRDs and Namespaces; wait until the CRDs are Established.
 * 4. Dry-run the deferred objects; then write every changed object in kind order.
 * An object is "changed" when its dry-run result differs from the live object.
 */
import type { KubeObject, Manifest } from '../../build/index.js';
import { groupOf } from '../../build/index.js';
import { KubeApiError, type KubeClient } from '../../kube/client.js';
import { Discovery, resourcePath, type ResourceInfo } from '../../kube/discovery.js';
import { compareApplyOrder, isStageOne } from './order.js';
import { inventoryId, type InventoryEntry } from '../inventory.js';
import { KubeError } from '../../errors.js';
import { createHash } from 'node:crypto';
import { mapLimit } from '../../util/pool.js';
import { sameObject } from './util.js';

/** Labels that mark an object as applied by one Sync; prune deletes only objects carrying them. */
export const OWNER_NAME_LABEL = 'sealops.dev/name';
/** See {@link OWNER_NAME_LABEL}. */
export const OWNER_NAMESPACE_LABEL = 'sealops.dev/namespace';
/** The field manager of every write. */
export const FIELD_MANAGER = 'sealops';

/** What happened to one object. */
export type ApplyAction = 'created' | 'configured' | 'unchanged';

/** Result of one object. */
export interface AppliedObject {
  readonly entry: InventoryEntry;
  readonly action: ApplyAction;
  readonly file: string;
}

/** One object the server refused, with the file it came from. */
export interface ObjectFailure {
  readonly object: string;
  readonly file: string;
  readonly reason: string;
  readonly message: string;
}

/** Thrown when any object fails; `written` says whether anything reached the cluster. */
export class ApplyError extends KubeError {
  readonly failures: ObjectFailure[];
  readonly written: AppliedObject[];
  constructor(message: string, failures: ObjectFailure[], written: AppliedObject[]) {
    super(message);
    this.failures = failures;
    this.written = written;
  }
}

/** Options of {@link applyManifests}. */
export interface ApplyOptions {
  /** The owning Sync. */
  readonly owner: { readonly namespace: string; readonly name: string };
  /** Parallel requests (default 8). */
  readonly concurrency?: number;
  /** How long to wait for CRDs to become Established (default 60 s). */
  readonly crdTimeoutMs?: number;
  /**
   * Memory of the previous apply of this Sync (kept by the controller between reconciles).
   * An object whose manifest is unchanged and whose live resourceVersion is still the one we
   * left is known to be in sync, so its dry-run is skipped. Anything else is dry-run as usual.
   */
  readonly cache?: ApplyCache;
  /**
   * Called once, after every dry-run passed and before the first write, with the inventory
   * entries of everything about to be applied. The reconcile records them first, so an agent
   * killed mid-apply still knows which objects it may have created.
   */
  readonly beforeWrite?: (entries: InventoryEntry[]) => Promise<void>;
  /**
   * What the drift stage of the same reconcile read for some of these manifests (keyed by the
   * manifest objects it handed on): the live object, and its dry-run when it made one. Those
   * objects are neither read nor dry-run again.
   */
  readonly seen?: ReadonlyMap<Manifest, SeenObject>;
}

/** One object as the drift stage left it: the live state (undefined: absent) and the dry-run, if any. */
export interface SeenObject {
  readonly live: KubeObject | undefined;
  readonly dry?: KubeObject;
}

/** Per-object memory of the last apply: a digest of the manifest sent and the resulting resourceVersion. */
export type ApplyCache = Map<string, { digest: string; resourceVersion: string }>;

/** Digest of a manifest as sent, as the apply cache records it. */
export function digest(body: KubeObject): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('base64');
}

interface Planned {
  readonly m: Manifest;
  body: KubeObject;
  info: ResourceInfo | undefined;
  readonly group: string;
  readonly kind: string;
  namespace: string;
  readonly name: string;
  live: KubeObject | undefined;
  dry: KubeObject | undefined;
}

function idOf(p: Planned): string {
  return inventoryId({ namespace: p.namespace, name: p.name, group: p.group, kind: p.kind });
}

function label(p: Planned): string {
  return `${p.kind} ${p.namespace ? `${p.namespace}/` : ''}${p.name}`;
}

/** `obj` with the owner labels of `owner` and its namespace set (or removed for cluster-scoped kinds). */
export function withOwner(obj: KubeObject, owner: ApplyOptions['owner'], namespace: string | undefined): KubeObject {
  const meta = { ...obj.metadata };
  if (namespace) meta.namespace = namespace;
  else delete meta.namespace;
  const labels = { ...((meta.labels as Record<string, string> | undefined) ?? {}) };
  labels[OWNER_NAME_LABEL] = owner.name;
  labels[OWNER_NAMESPACE_LABEL] = owner.namespace;
  meta.labels = labels;
  return { ...obj, metadata: meta };
}

/** Whether this CRD in the change set defines `group`/`kind`; returns its scope if so. */
function crdScope(manifests: readonly Manifest[], group: string, kind: string): 'Namespaced' | 'Cluster' | undefined {
  for (const m of manifests) {
    const o = m.object as { kind: string; apiVersion: string; spec?: { group?: string; scope?: string; names?: { kind?: string } } };
    if (o.kind === 'CustomResourceDefinition' && groupOf(o.apiVersion) === 'apiextensions.k8s.io' && o.spec?.group === group && o.spec.names?.kind === kind) {
      return o.spec.scope === 'Cluster' ? 'Cluster' : 'Namespaced';
    }
  }
  return undefined;
}

async function ssa(client: KubeClient, p: Planned, dryRun: boolean): Promise<KubeObject> {
  return serverSideApply(client, p.info!, p.namespace, p.name, p.body, dryRun);
}

/**
 * Server-side apply of `body` as the agent's field manager, forcing ownership (`dryRun=All` when
 * asked), with a few retries of transient failures.
 */
export async function serverSideApply(client: KubeClient, info: ResourceInfo, namespace: string, name: string, body: KubeObject, dryRun: boolean): Promise<KubeObject> {
  const path = resourcePath(info, namespace, name);
  const query = { fieldManager: FIELD_MANAGER, force: 'true', dryRun: dryRun ? 'All' : undefined };
  for (let attempt = 0; ; attempt++) {
    try {
      return await client.request<KubeObject>('PATCH', path, { body, contentType: 'application/apply-patch+yaml', query });
    } catch (err) {
      // Transient: retry a little; the next reconcile converges anyway.
      const transient = err instanceof KubeApiError && (err.status === 0 || err.status === 429 || err.status >= 500);
      if (!transient || attempt >= 2) throw err;
      await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
    }
  }
}

function failure(p: Planned, err: unknown): ObjectFailure {
  const reason = err instanceof KubeApiError ? err.reason : 'Error';
  const raw = err instanceof Error ? err.message : String(err);
  // Keep the server's explanation, not our URL prefix.
  const message = raw.replace(/^failed to \w+ \S+: /, '');
  return { object: label(p), file: p.m.file, reason, message };
}

/** What {@link loadLive} fills: an object's resource, namespace, name and kind, and its live state. */
export interface LiveSlot {
  readonly info?: ResourceInfo;
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  live?: KubeObject;
}

/** Loads the live objects of `plans` (each with its resource): one LIST per resource and namespace. */
export async function loadLive(client: KubeClient, plans: LiveSlot[], concurrency: number): Promise<void> {
  const groups = new Map<string, LiveSlot[]>();
  for (const p of plans) {
    const key = `${resourcePath(p.info!, p.namespace)}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  await mapLimit([...groups.entries()], concurrency, async ([path, members]) => {
    if (members.length <= 2) {
      for (const p of members) {
        try {
          p.live = await client.request<KubeObject>('GET', resourcePath(p.info!, p.namespace, p.name));
        } catch (err) {
          if (!(err instanceof KubeApiError && err.status === 404)) throw err;
          p.live = undefined;
        }
      }
      return;
    }
    let list: { items?: KubeObject[] } | undefined;
    try {
      list = await client.request<{ items?: KubeObject[] }>('GET', path);
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw err;
    }
    const byName = new Map((list?.items ?? []).map((o) => [o.metadata.name, o]));
    for (const p of members) {
      const live = byName.get(p.name);
      // List items carry no apiVersion/kind; restore them so they compare like a GET result.
      p.live = live ? { ...live, apiVersion: p.info!.group ? `${p.info!.group}/${p.info!.version}` : p.info!.version, kind: p.kind } : undefined;
    }
  });
}

async function waitEstablished(client: KubeClient, names: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const crd = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>(
        'GET',
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}`,
      );
      if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) break;
      if (Date.now() > deadline) throw new KubeError(`failed to apply CustomResourceDefinition ${name}: not Established after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Applies `manifests` as one change set. Returns one result per object in apply order.
 * Throws {@link ApplyError} listing every refused object; when the refusal comes from the first
 * dry-run pass, nothing was written.
 */
export async function applyManifests(client: KubeClient, discovery: Discovery, manifests: readonly Manifest[], options: ApplyOptions): Promise<AppliedObject[]> {
  const concurrency = options.concurrency ?? 8;
  const failures: ObjectFailure[] = [];
  const plans: Planned[] = [];
  const newNamespaces = new Set<string>();
  const newCrdKinds = new Set<string>();

  for (const m of manifests) {
    const o = m.object;
    const group = groupOf(o.apiVersion);
    const p: Planned = { m, body: o, info: undefined, group, kind: o.kind, namespace: o.metadata.namespace ?? '', name: o.metadata.name, live: undefined, dry: undefined };
    p.info = await discovery.resolve(o.apiVersion, o.kind);
    const scope = p.info ? (p.info.namespaced ? 'Namespaced' : 'Cluster') : crdScope(manifests, group, o.kind);
    if (!scope) {
      failures.push({ object: label(p), file: m.file, reason: 'NoKind', message: `the server has no kind ${o.kind} in ${o.apiVersion}` });
      continue;
    }
    if (!p.info) newCrdKinds.add(`${group}/${o.kind}`);
    p.namespace = scope === 'Namespaced' ? o.metadata.namespace ?? 'default' : '';
    p.body = withOwner(o, options.owner, p.namespace || undefined);
    if (isStageOne(group, o.kind) && o.kind === 'Namespace') newNamespaces.add(p.name);
    plans.push(p);
  }
  plans.sort(compareApplyOrder);
  if (failures.length) throw new ApplyError(`failed to apply: ${failures.length} object(s) refused; nothing was applied`, failures, []);

  const resolved = plans.filter((p) => p.info);
  const seen = options.seen;
  for (const p of resolved) {
    const s = seen?.get(p.m);
    if (!s) continue;
    p.live = s.live;
    if (s.dry) p.dry = s.dry;
  }
  await loadLive(client, resolved.filter((p) => !seen?.has(p.m)), concurrency);
  // Namespaces of this change set that do not exist yet: objects in them wait for stage one.
  const liveNamespaces = new Set(plans.filter((p) => p.kind === 'Namespace' && p.group === '' && p.live).map((p) => p.name));
  const waitsForStageOne = (p: Planned): boolean =>
    !p.info || (p.namespace !== '' && newNamespaces.has(p.namespace) && !liveNamespaces.has(p.namespace));
  const now = plans.filter((p) => !waitsForStageOne(p));
  const later = plans.filter(waitsForStageOne);

  const cache = options.cache;
  const known = (p: Planned): boolean => {
    const c = cache?.get(idOf(p));
    return !!c && !!p.live && c.resourceVersion === p.live.metadata.resourceVersion && c.digest === digest(p.body);
  };
  for (const p of now) if (known(p)) p.dry = p.live;
  await dryRunAll(client, now.filter((p) => !p.dry), concurrency, failures);
  if (failures.length) throw new ApplyError(`failed to apply: ${failures.length} object(s) refused by dry-run; nothing was applied`, failures, []);

  const written: AppliedObject[] = [];
  const results = new Map<Planned, AppliedObject>();
  const pending = plans.filter((p) => !p.live || !p.dry || !sameObject(p.dry, p.live));
  if (options.beforeWrite && pending.length) await options.beforeWrite(pending.map((p) => ({ id: idOf(p), v: p.body.apiVersion })));
  const write = async (batch: Planned[]): Promise<void> => {
    // Writes go kind by kind, in order; objects of one kind go in parallel.
    let i = 0;
    while (i < batch.length) {
      let j = i;
      while (j < batch.length && batch[j]!.kind === batch[i]!.kind && batch[j]!.group === batch[i]!.group) j++;
      await mapLimit(batch.slice(i, j), concurrency, async (p) => {
        const changed = !p.live || !sameObject(p.dry!, p.live);
        let final = p.dry!;
        if (changed) {
          try {
            final = await ssa(client, p, false);
          } catch (err) {
            failures.push(failure(p, err));
            return;
          }
        }
        const rv = (final.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
        if (cache && rv) cache.set(idOf(p), { digest: digest(p.body), resourceVersion: rv });
        const result: AppliedObject = {
          entry: { id: idOf(p), v: final.apiVersion ?? p.body.apiVersion },
          action: !p.live ? 'created' : changed ? 'configured' : 'unchanged',
          file: p.m.file,
        };
        results.set(p, result);
        if (changed) written.push(result);
      });
      i = j;
    }
  };

  const stageOne = now.filter((p) => isStageOne(p.group, p.kind));
  await write(stageOne);
  if (failures.length) throw new ApplyError(`failed to apply: ${failures.length} object(s) refused`, failures, written);
  const crds = stageOne.filter((p) => p.kind === 'CustomResourceDefinition').map((p) => p.name);
  if (crds.length) await waitEstablished(client, crds, options.crdTimeoutMs ?? 60_000);
  if (later.length) {
    if (newCrdKinds.size) discovery.reset();
    for (const p of later) {
      p.info ??= await discovery.resolve(p.body.apiVersion, p.kind);
      if (!p.info) failures.push({ object: label(p), file: p.m.file, reason: 'NoKind', message: `the server has no kind ${p.kind} in ${p.body.apiVersion}` });
    }
    if (failures.length) throw new ApplyError(`failed to apply: ${failures.length} object(s) refused`, failures, written);
    await loadLive(client, later, concurrency);
    await dryRunAll(client, later, concurrency, failures);
    if (failures.length) throw new ApplyError(`failed to apply: ${failures.length} object(s) refused by dry-run`, failures, written);
  }
  const rest = plans.filter((p) => !isStageOne(p.group, p.kind));
  await write(rest);
  if (failures.length) throw new ApplyError(`failed to apply: ${failures.length} object(s) refused`, failures, written);
  return plans.map((p) => results.get(p)!);
}

async function dryRunAll(client: KubeClient, plans: Planned[], concurrency: number, failures: ObjectFailure[]): Promise<void> {
  await mapLimit(plans, concurrency, async (p) => {
    try {
      p.dry = await ssa(client, p, true);
    } catch (err) {
      failures.push(failure(p, err));
    }
  });
  // Report in apply order, not completion order.
  failures.sort((a, b) => (a.object < b.object ? -1 : a.object > b.object ? 1 : 0));
}
