/**
 * The built objects beside their live counterparts, as the apply stage would send them (owner
 * labels, defaulted namespace), and the agent's own dry-run of each. Shared by the agent's drift
 * check and `sealops diff --live`, so both compare exactly what an apply would write.
 */
import { groupOf, type KubeObject, type Manifest } from '../../build/index.js';
import type { KubeClient } from '../../kube/client.js';
import type { Discovery, ResourceInfo } from '../../kube/discovery.js';
import { loadLive, serverSideApply, withOwner } from '../apply/index.js';
import { inventoryId } from '../inventory.js';
import type { DriftIgnoreRule } from '../sync.js';
import { ignoredPointers, valueAt, withValueAt } from './paths.js';

/** One built object and what the cluster holds for it. */
export interface LivePair {
  /** The manifest (with ignored fields taken from the live object, see {@link respectIgnored}). */
  m: Manifest;
  /** What an apply sends: owner labels and namespace set. */
  body: KubeObject;
  /** Undefined when the server does not know the kind (yet). */
  readonly info?: ResourceInfo;
  readonly group: string;
  /** Final namespace ('' for cluster-scoped kinds). */
  readonly namespace: string;
  readonly name: string;
  readonly kind: string;
  /** Inventory id. */
  readonly id: string;
  /** The live object; undefined when it does not exist. */
  live?: KubeObject;
  /** The agent's dry-run of {@link body}, once a drift check made one. */
  dry?: KubeObject;
}

/** Resolves every manifest's resource and reads its live object (absent ones stay undefined). */
export async function pairWithLive(
  client: KubeClient,
  discovery: Discovery,
  manifests: readonly Manifest[],
  owner: { readonly namespace: string; readonly name: string },
  concurrency = 8,
): Promise<LivePair[]> {
  const pairs: LivePair[] = [];
  for (const m of manifests) {
    const o = m.object;
    const info = await discovery.resolve(o.apiVersion, o.kind);
    const namespace = info?.namespaced ? o.metadata.namespace ?? 'default' : info ? '' : o.metadata.namespace ?? '';
    const group = groupOf(o.apiVersion);
    pairs.push({ m, body: withOwner(o, owner, namespace || undefined), ...(info ? { info } : {}), group, namespace, name: o.metadata.name, kind: o.kind, id: inventoryId({ namespace, name: o.metadata.name, group, kind: o.kind }) });
  }
  await loadLive(client, pairs.filter((p) => p.info), concurrency);
  return pairs;
}

/**
 * Takes the live value of every ignored field (`spec.drift.ignore`) into the manifest, so an apply
 * leaves what another controller owns (an HPA's `/spec/replicas`) as it is instead of fighting it.
 * A field the live object lacks keeps git's value.
 */
export function respectIgnored(pairs: readonly LivePair[], rules: readonly DriftIgnoreRule[], owner: { readonly namespace: string; readonly name: string }): void {
  if (rules.length === 0) return;
  for (const p of pairs) {
    if (!p.live) continue;
    const o = p.m.object;
    let object = o;
    for (const pointer of ignoredPointers(rules, { kind: o.kind, name: o.metadata.name, namespace: p.namespace })) {
      const value = valueAt(p.live, pointer);
      if (pointer !== '' && value !== undefined) object = withValueAt(object, pointer, value);
    }
    if (object === o) continue;
    p.m = { ...p.m, object };
    p.body = withOwner(object, owner, p.namespace || undefined);
  }
}

/** The agent's server-side dry-run of `p` (field manager `sealops`, forced), or the error. */
export async function dryRun(client: KubeClient, p: LivePair): Promise<KubeObject> {
  return serverSideApply(client, p.info!, p.namespace, p.m.object.metadata.name, p.body, true);
}
