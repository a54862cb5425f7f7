/**
 * `sealops install` / `uninstall` against a cluster.
 *
 * Install applies the manifests of deploy/ with server-side apply in two stages, like Flux's
 * install: the Namespace and the CRD first (then waits until the CRD is established), everything
 * else after. Re-running it upgrades in place.
 *
 * Uninstall removes the agent and its RBAC. By default it keeps the Sync CRD and the Syncs (a
 * later install resumes where this one stopped), everything the Syncs applied, and the namespace
 * with the keys Secret, which is the only key that can unseal the repositories. Deleting the CRD
 * (`deleteCrds`) deletes the Syncs but still nothing they applied: no applied object carries an
 * owner reference to a Sync.
 */
import { Discovery, resourcePath } from '../kube/discovery.js';
import { KubeApiError, type KubeClient } from '../kube/client.js';
import { KubeError, describe } from '../errors.js';
import { pruneStale } from '../agent/prune/index.js';
import { parseInventoryId, readInventory } from '../agent/inventory.js';
import { syncsPath } from '../agent/sync.js';
import type { KubeObject } from './manifests.js';

/** Field manager of install's server-side applies (distinct from the agent's `sealops`). */
export const INSTALL_FIELD_MANAGER = 'sealops-install';

/** One object and what happened to it. */
export interface InstallResult {
  readonly object: string;
  readonly action: 'applied' | 'deleted' | 'absent' | 'kept';
}

function idOf(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

/** An inventory id (`ns_name_group_Kind`) in the form of {@link idOf}, so one uninstall report reads alike. */
function inventoryIdOf(id: string): string {
  const k = parseInventoryId(id);
  return k ? `${k.kind}/${k.namespace ? `${k.namespace}/` : ''}${k.name}` : id;
}

const STAGE_ONE = new Set(['Namespace', 'CustomResourceDefinition']);

async function pathOf(discovery: Discovery, o: KubeObject): Promise<string> {
  const info = await discovery.resolve(o.apiVersion, o.kind);
  if (!info) throw new KubeError(`failed to install ${idOf(o)}: the API server does not serve ${o.apiVersion} ${o.kind}`);
  return resourcePath(info, o.metadata.namespace, o.metadata.name);
}

async function waitEstablished(client: KubeClient, name: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const crd = await client.request<{ status?: { conditions?: { type: string; status: string }[] } }>('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${encodeURIComponent(name)}`);
    if (crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True')) return;
    if (Date.now() > until) throw new KubeError(`failed to install CustomResourceDefinition/${name}: not established after ${Math.round(timeoutMs / 1000)}s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Applies `objects` (from installManifests) in two stages; returns one line per object. */
export async function installObjects(client: KubeClient, objects: readonly KubeObject[], options: { timeoutMs?: number } = {}): Promise<InstallResult[]> {
  const discovery = new Discovery(client);
  const results: InstallResult[] = [];
  const apply = async (o: KubeObject): Promise<void> => {
    try {
      await client.request('PATCH', await pathOf(discovery, o), {
        body: o,
        contentType: 'application/apply-patch+yaml',
        query: { fieldManager: INSTALL_FIELD_MANAGER, force: 'true' },
      });
    } catch (err) {
      throw new KubeError(`failed to install ${idOf(o)}: ${describe(err)}`, { cause: err });
    }
    results.push({ object: idOf(o), action: 'applied' });
  };
  const first = objects.filter((o) => STAGE_ONE.has(o.kind));
  for (const o of first) await apply(o);
  for (const o of first) if (o.kind === 'CustomResourceDefinition') await waitEstablished(client, o.metadata.name, options.timeoutMs ?? 60_000);
  discovery.reset();
  for (const o of objects) if (!STAGE_ONE.has(o.kind)) await apply(o);
  return results;
}

/** What uninstall removes beyond the agent itself. */
export interface UninstallOptions {
  /** Also delete what every Sync applied (objects that still carry its ownership labels). */
  readonly pruneSyncs?: boolean;
  /** Also delete the namespace, and with it the keys Secret. */
  readonly deleteNamespace?: boolean;
  /** Also delete the Sync CRD, and with it every Sync (never what they applied). */
  readonly deleteCrds?: boolean;
}

interface SyncItem {
  metadata: { name: string; namespace: string };
  status?: { inventory?: { entries?: unknown } };
}

/** Removes the install (reverse order). Never throws for an object that is already gone. */
export async function uninstallObjects(client: KubeClient, objects: readonly KubeObject[], options: UninstallOptions = {}): Promise<InstallResult[]> {
  const discovery = new Discovery(client);
  const results: InstallResult[] = [];
  if (options.pruneSyncs) {
    let syncs: SyncItem[] = [];
    try {
      syncs = (await client.request<{ items?: SyncItem[] }>('GET', syncsPath(undefined))).items ?? [];
    } catch (err) {
      if (!(err instanceof KubeApiError && err.status === 404)) throw new KubeError(`failed to list Syncs: ${describe(err)}`, { cause: err });
    }
    for (const s of syncs) {
      const entries = readInventory(s.status?.inventory?.entries);
      const owner = { namespace: s.metadata.namespace, name: s.metadata.name };
      const pruned = await pruneStale(client, discovery, entries, { owner, inventorySize: entries.length, maxDeletionPercent: 100, allowMassDeletion: true });
      for (const d of pruned.deleted) results.push({ object: inventoryIdOf(d.id), action: 'deleted' });
      if (pruned.failures.length) throw new KubeError(`failed to delete what Sync ${owner.namespace}/${owner.name} applied: ${pruned.failures.map((f) => `${f.entry.id}: ${f.message}`).join('; ')}`);
    }
  }
  for (const o of [...objects].reverse()) {
    if ((o.kind === 'Namespace' && !options.deleteNamespace) || (o.kind === 'CustomResourceDefinition' && !options.deleteCrds)) {
      results.push({ object: idOf(o), action: 'kept' });
      continue;
    }
    try {
      await client.request('DELETE', await pathOf(discovery, o), { query: { propagationPolicy: 'Background' } });
      results.push({ object: idOf(o), action: 'deleted' });
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) results.push({ object: idOf(o), action: 'absent' });
      else if (err instanceof KubeError && /does not serve/.test(err.message)) results.push({ object: idOf(o), action: 'absent' });
      else throw new KubeError(`failed to uninstall ${idOf(o)}: ${describe(err)}`, { cause: err });
    }
  }
  return results;
}
