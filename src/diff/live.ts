/**
 * `sealops diff --live [PATH]`: what the agent would write for PATH into a cluster, through the
 * agent's own server-side dry-run (field manager `sealops`) compared with each live object, plus
 * what prune would delete. The Sync named (or the only one) supplies owner labels, components,
 * target namespace, post-build values, ignore rules and the inventory, as the agent uses them.
 *
 * Secret values are never printed. With a key (`-k`) they are decrypted in memory, dry-run and
 * compared with the live values in memory. Without one, each key is judged by the ciphertext
 * digests the agent recorded on the live Secret (agent/drift/sealed-digests.ts) against the
 * sealed files here ("in git"), and by field ownership for writes by anyone else ("in the cluster").
 */
import { stringify } from 'yaml';
import type { KubeObject } from '../build/index.js';
import type { KustomizeOptions } from '../build/kustomize.js';
import { InputError, KubeError } from '../errors.js';
import { KubeApiError, KubeClient } from '../kube/client.js';
import { loadKubeConnection, type KubeConfigOptions } from '../kube/config.js';
import { Discovery, resourcePath } from '../kube/discovery.js';
import { FIELD_MANAGER, OWNER_NAME_LABEL, OWNER_NAMESPACE_LABEL } from '../agent/apply/index.js';
import { changedPaths, dryRun, ignoredPointers, pairWithLive, respectIgnored, withoutIgnored, type LivePair } from '../agent/drift/index.js';
import { readSealedDigests, SEALED_DIGESTS_ANNOTATION } from '../agent/drift/sealed-digests.js';
import { parseInventoryId, readInventory } from '../agent/inventory.js';
import { loadPostBuild } from '../agent/postbuild.js';
import { PRUNE_ANNOTATION } from '../agent/prune/index.js';
import { renderLocal } from '../agent/render.js';
import { parseSyncSpec, syncsPath, type ManagedFieldsEntry, type SyncObject, type SyncSpec } from '../agent/sync.js';
import type { KeyStatus, ObjectChange, SecretKeys } from './compare.js';
import type { RevisionDiff } from './index.js';
import { HIDDEN_VALUE } from './sealed.js';
import { unifiedDiff } from './unified.js';
import { isRecord } from '../util/record.js';

/** What to compare. */
export interface LiveDiffOptions {
  /** A client to use; otherwise one is made from {@link kube} (and closed at the end). */
  readonly client?: KubeClient;
  /** Where the cluster is: kubeconfig file(s), context, environment (as kubectl reads them). */
  readonly kube?: KubeConfigOptions;
  /** The folder to build (absolute). */
  readonly path: string;
  /** The Sync whose spec and inventory apply; the only Sync of the cluster when absent. */
  readonly sync?: { readonly namespace: string; readonly name: string };
  /** Key files: Secrets are then decrypted and compared in memory. */
  readonly keyFiles?: readonly { readonly source: string; readonly text: string }[];
  readonly kustomize?: KustomizeOptions;
  /** How the cluster is named in the report (default: the context). */
  readonly cluster?: string;
  /** How PATH is named in the report (default: {@link path}). */
  readonly pathLabel?: string;
}

const METHOD_DECRYPTED = 'decrypted in memory with your key and compared with the live values in memory';
const METHOD_DIGESTS = 'compared without a key, by the ciphertext digests the agent recorded (sealops.dev/sealed-digests) and field ownership';

type Rec = Record<string, unknown>;

function rec(v: unknown): Rec | undefined {
  return isRecord(v) ? v : undefined;
}

function isSecret(o: KubeObject | undefined): boolean {
  return o?.kind === 'Secret' && o.apiVersion === 'v1';
}

async function findSync(client: KubeClient, named: LiveDiffOptions['sync']): Promise<SyncObject> {
  if (named) {
    try {
      return await client.request<SyncObject>('GET', syncsPath(named.namespace, named.name));
    } catch (err) {
      const why = err instanceof KubeApiError && err.status === 404 ? 'not found' : err instanceof KubeApiError && err.status === 403 ? 'forbidden' : 'could not be read';
      throw new KubeError(`failed to read Sync ${named.namespace}/${named.name}: ${why}`, { cause: err });
    }
  }
  const list = await client.request<{ items?: SyncObject[] }>('GET', syncsPath(undefined)).catch((err: unknown) => {
    throw new KubeError('failed to list Syncs: the cluster has no Sync CRD or denies listing them', { cause: err, hint: 'name the Sync with --sync NS/NAME' });
  });
  const items = list.items ?? [];
  if (items.length === 1) return items[0]!;
  const names = items.map((s) => `${s.metadata.namespace}/${s.metadata.name}`).join(', ');
  throw new InputError(`failed to pick a Sync: ${items.length ? `the cluster has ${items.length} (${names})` : 'the cluster has none'}`, { hint: 'name the Sync whose spec and inventory apply with --sync NS/NAME' });
}

/** The object as a reader may see it: no server bookkeeping, no status, no Secret value. */
function visible(o: KubeObject | undefined): string {
  if (!o) return '';
  const c = structuredClone(o) as Rec & { metadata: Rec };
  for (const k of ['resourceVersion', 'generation', 'managedFields', 'creationTimestamp', 'uid']) delete c.metadata[k];
  delete c.status;
  if (isSecret(o)) {
    const ann = rec(c.metadata.annotations);
    // kubectl's last-applied copy of a Secret holds its values.
    if (ann && 'kubectl.kubernetes.io/last-applied-configuration' in ann) ann['kubectl.kubernetes.io/last-applied-configuration'] = HIDDEN_VALUE;
    // The digests speak through the per-key verdicts.
    if (ann) delete ann[SEALED_DIGESTS_ANNOTATION];
    if (ann && Object.keys(ann).length === 0) delete c.metadata.annotations;
    for (const field of ['data', 'stringData']) {
      const entries = rec(c[field]);
      if (entries) c[field] = Object.fromEntries(Object.keys(entries).map((k) => [k, HIDDEN_VALUE]));
    }
  }
  return stringify(c, { lineWidth: 0, sortMapEntries: true });
}

/** A Secret's values by key as bytes (base64 `data` decoded; `stringData` as UTF-8). */
function values(o: KubeObject | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(rec(o?.data) ?? {})) out.set(k, Buffer.from(String(v), 'base64').toString('latin1'));
  for (const [k, v] of Object.entries(rec(o?.stringData) ?? {})) out.set(k, Buffer.from(String(v), 'utf8').toString('latin1'));
  return out;
}

/** Managers other than the agent that own `data.<key>` of a live Secret. */
function foreignWriters(live: KubeObject, key: string): string[] {
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.filter((e) => e.manager !== FIELD_MANAGER && rec(rec(rec(e.fieldsV1)?.['f:data']))?.[`f:${key}`] !== undefined).map((e) => e.manager ?? 'unknown');
}

function agentOwns(live: KubeObject, key: string): boolean {
  const entries = (live.metadata.managedFields ?? []) as ManagedFieldsEntry[];
  return entries.some((e) => e.manager === FIELD_MANAGER && rec(rec(rec(e.fieldsV1)?.['f:data']))?.[`f:${key}`] !== undefined);
}

/** Per-key verdicts from values held in memory (a key, or a Secret not sealed at all). */
function compareValues(desired: KubeObject | undefined, live: KubeObject | undefined): SecretKeys {
  const a = values(desired);
  const b = values(live);
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort().map((key) => {
    const status: KeyStatus = !b.has(key) ? 'added' : !a.has(key) ? 'removed' : a.get(key) === b.get(key) ? 'unchanged' : 'changed';
    return { key, status };
  });
  return { formats: ['live-decrypted'], keys };
}

/** Per-key verdicts without a key: recorded ciphertext digests and field ownership. */
function compareDigests(built: KubeObject, live: KubeObject): SecretKeys {
  const inGit = new Set([...Object.keys(rec(built.data) ?? {}), ...Object.keys(rec(built.stringData) ?? {})]);
  const inLive = new Set(Object.keys(rec(live.data) ?? {}));
  const gitDigests = readSealedDigests(built) ?? {};
  const applied = readSealedDigests(live);
  const keys: SecretKeys['keys'][number][] = [];
  for (const key of [...new Set([...inGit, ...inLive])].sort()) {
    if (!inLive.has(key)) {
      keys.push({ key, status: 'added', detail: 'in git' });
      continue;
    }
    if (!inGit.has(key)) {
      // Only what the agent owns is removed by its apply; a key someone else added stays.
      if (agentOwns(live, key)) keys.push({ key, status: 'removed', detail: 'in git' });
      continue;
    }
    const writers = foreignWriters(live, key);
    const cluster = writers.length ? `in the cluster (written by ${[...new Set(writers)].join(', ')})` : '';
    const recorded = applied?.[key];
    const git = recorded !== undefined && gitDigests[key] !== undefined && recorded !== gitDigests[key] ? 'in git' : '';
    if (git || cluster) keys.push({ key, status: 'changed', detail: [git, cluster].filter(Boolean).join(' and ') });
    else if (recorded === undefined) keys.push({ key, status: 'unknown', detail: 'the agent recorded no digest for it (applied by an older agent?)' });
    else keys.push({ key, status: 'unchanged', detail: 'since the agent applied it' });
  }
  return { formats: ['live-digest'], keys };
}

function withoutValues(o: KubeObject): KubeObject {
  const { data: _d, stringData: _s, ...rest } = o;
  void _d;
  void _s;
  return rest;
}

function idOf(o: KubeObject, namespace: string): ObjectChange['object'] {
  return { apiVersion: o.apiVersion, kind: o.kind, ...(namespace ? { namespace } : {}), name: o.metadata.name };
}

async function compareOne(client: KubeClient, p: LivePair, spec: SyncSpec, keyless: boolean): Promise<ObjectChange | undefined> {
  const o = p.m.object;
  const object = idOf(o, p.namespace);
  const labels = { from: `live ${o.kind} ${p.namespace ? `${p.namespace}/` : ''}${o.metadata.name}`, to: `git ${p.m.file}` };
  const sealedKeyless = keyless && isSecret(o) && readSealedDigests(o) !== undefined;
  if (!p.live) {
    const secret = isSecret(o) ? { formats: [sealedKeyless ? ('live-digest' as const) : ('live-decrypted' as const)], keys: [...values(o).keys()].sort().map((key) => ({ key, status: 'added' as const })) } : undefined;
    return { action: 'added', object, diff: unifiedDiff('', visible(p.body), labels), ...(secret ? { secret } : {}), ...(p.info ? {} : { note: 'its kind is not served yet (a CRD of this change set)' }) };
  }
  let dry: KubeObject;
  try {
    // Without a key a sealed Secret's values are markers: dry-run the rest of it only.
    dry = await dryRun(client, sealedKeyless ? { ...p, body: withoutValues(p.body) } : p);
  } catch (err) {
    // The server's explanation may echo values: name the object and the status only.
    const why = err instanceof KubeApiError ? `${err.status} ${err.reason}` : 'no response';
    throw new KubeError(`failed to dry-run ${o.kind} ${p.namespace ? `${p.namespace}/` : ''}${o.metadata.name} (${p.m.file}): ${why}`, { cause: err });
  }
  const ignored = ignoredPointers(spec.drift.ignore, { kind: o.kind, name: o.metadata.name, namespace: p.namespace });
  const secret = !isSecret(o) ? undefined : sealedKeyless ? compareDigests(p.body, p.live) : compareValues(dry, p.live);
  const before = sealedKeyless ? withoutValues(p.live) : p.live;
  const after = sealedKeyless ? withoutValues(dry) : dry;
  const paths = withoutIgnored(changedPaths(after, before, o.kind), ignored).filter((path) => !(secret && path.startsWith('/data/')));
  const keysMoved = secret?.keys.some((k) => k.status !== 'unchanged') ?? false;
  if (paths.length === 0 && !keysMoved) return undefined;
  const diff = paths.length ? unifiedDiff(visible(before), visible(after), labels) : '';
  return { action: 'changed', object, diff, ...(secret ? { secret } : {}) };
}

async function pruneChanges(client: KubeClient, discovery: Discovery, sync: SyncObject, spec: SyncSpec, built: ReadonlySet<string>): Promise<ObjectChange[]> {
  const out: ObjectChange[] = [];
  for (const e of readInventory(sync.status?.inventory?.entries)) {
    if (built.has(e.id)) continue;
    const key = parseInventoryId(e.id);
    const info = key ? await discovery.resolve(e.v, key.kind) : undefined;
    if (!key || !info) continue;
    let live: KubeObject;
    try {
      live = await client.request<KubeObject>('GET', resourcePath(info, key.namespace, key.name));
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 404) continue;
      throw err;
    }
    const labels = rec(live.metadata.labels) ?? {};
    const owned = labels[OWNER_NAME_LABEL] === sync.metadata.name && labels[OWNER_NAMESPACE_LABEL] === sync.metadata.namespace;
    const note = !spec.prune
      ? 'no longer built; left in place (spec.prune is off)'
      : !owned
        ? "no longer built; prune keeps it (it no longer carries this Sync's labels)"
        : rec(live.metadata.annotations)?.[PRUNE_ANNOTATION] === 'disabled'
          ? `no longer built; prune keeps it (${PRUNE_ANNOTATION}: disabled)`
          : 'prune would delete it';
    out.push({ action: 'removed', object: idOf(live, key.namespace), diff: unifiedDiff(visible(live), '', { from: `live ${key.kind} ${key.namespace ? `${key.namespace}/` : ''}${key.name}`, to: 'git (not built)' }), note });
  }
  return out;
}

/** Every value the report must not contain: plaintext held in memory and the live Secrets' values. */
function forbidden(plaintext: readonly string[], pairs: readonly LivePair[]): string[] {
  const out = new Set(plaintext.filter((s) => s.length >= 8));
  for (const p of pairs) {
    if (!isSecret(p.live)) continue;
    for (const [, v] of Object.entries(rec(p.live!.data) ?? {})) {
      const text = Buffer.from(String(v), 'base64').toString('utf8');
      if (text.length >= 8) out.add(text);
      if (String(v).length >= 8) out.add(String(v));
    }
  }
  return [...out];
}

/** Builds PATH as the Sync's agent would and compares it with the cluster. Throws a SealopsError on failure. */
export async function diffLive(options: LiveDiffOptions): Promise<RevisionDiff> {
  const client = options.client ?? new KubeClient(loadKubeConnection(options.kube));
  try {
    return await diffWith(client, options);
  } finally {
    if (!options.client) client.close();
  }
}

async function diffWith(client: KubeClient, options: LiveDiffOptions): Promise<RevisionDiff> {
  const sync = await findSync(client, options.sync);
  const spec = parseSyncSpec(sync.spec);
  const owner = { namespace: sync.metadata.namespace, name: sync.metadata.name };
  // The Sync's own post-build sources: its Secret-sourced values join the redaction list.
  const postBuild = spec.postBuild ? await loadPostBuild(client, owner.namespace, spec.postBuild) : undefined;
  const keyFiles = options.keyFiles ?? [];
  const rendered = await renderLocal({
    path: options.path,
    keyFiles,
    ...(options.kustomize ? { kustomize: options.kustomize } : {}),
    ...(spec.allowUnbound ? { allowUnbound: true } : {}),
    sync: { components: spec.components, ...(spec.targetNamespace ? { targetNamespace: spec.targetNamespace } : {}), ...(postBuild ? { postBuild: postBuild.values } : {}) },
  });
  const discovery = new Discovery(client);
  const pairs = await pairWithLive(client, discovery, rendered.manifests, owner);
  respectIgnored(pairs, spec.drift.ignore, owner);
  const objects: ObjectChange[] = [];
  for (const p of pairs) {
    const c = await compareOne(client, p, spec, keyFiles.length === 0);
    if (c) objects.push(c);
  }
  objects.push(...(await pruneChanges(client, discovery, sync, spec, new Set(pairs.map((p) => p.id)))));
  const order = (c: ObjectChange): string => `${c.object.kind}/${c.object.namespace ?? ''}/${c.object.name}`;
  objects.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
  const count = (a: string): number => objects.filter((o) => o.action === a).length;
  const hasSecrets = pairs.some((p) => isSecret(p.m.object));
  return {
    from: { ref: `cluster ${options.cluster ?? options.kube?.context ?? '(current context)'}, Sync ${owner.namespace}/${owner.name}` },
    to: { ref: 'working tree' },
    path: options.pathLabel ?? options.path,
    objects,
    summary: { added: count('added'), removed: count('removed'), changed: count('changed') },
    ciphertexts: forbidden([...rendered.secrets, ...(postBuild?.secrets ?? [])], pairs),
    ...(hasSecrets ? { method: keyFiles.length ? METHOD_DECRYPTED : METHOD_DIGESTS } : {}),
  };
}
