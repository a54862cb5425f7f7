/**
 * Comparing two builds object by object: added, removed or changed, with a unified diff of the
 * visible fields and, for every object holding secret values, a per-key verdict worked out from
 * the ciphertext alone (see sealed.ts).
 */
import { stringify } from 'yaml';
import { groupOf, type KubeObject, type Manifest } from '../build/index.js';
import type { SealedIndex } from '../agent/decrypt/sources.js';
import { viewObject, type ObjectView, type SealedFormat } from './sealed.js';
import { unifiedDiff } from './unified.js';

/** What happened to one object or one key between the two sides. */
export type ChangeKind = 'added' | 'removed' | 'changed';
/** A key's verdict (`unknown`: a live comparison without a key had nothing to compare by). */
export type KeyStatus = ChangeKind | 'unchanged' | 'unknown';

/** Which object. */
export interface ObjectId {
  readonly apiVersion: string;
  readonly kind: string;
  readonly namespace?: string;
  readonly name: string;
}

/** The per-key verdicts of one object that holds secret values. */
export interface SecretKeys {
  /** How the values were compared (more than one when the object mixes them). */
  readonly formats: SealedFormat[];
  /** `detail` says where a live comparison saw the change (`in git`, `in the cluster (by kubectl-edit)`). */
  readonly keys: { readonly key: string; readonly status: KeyStatus; readonly detail?: string }[];
}

/** One object that differs. */
export interface ObjectChange {
  readonly action: ChangeKind;
  readonly object: ObjectId;
  /** The old name when kustomize's content-hash suffix changed (a generated ConfigMap or Secret). */
  readonly previousName?: string;
  /** Unified diff of the visible fields (secret values appear only as markers). */
  readonly diff: string;
  readonly secret?: SecretKeys;
  /** A remark on the change (a live diff: what prune would do). */
  readonly note?: string;
}

function idOf(o: KubeObject): ObjectId {
  return { apiVersion: o.apiVersion, kind: o.kind, ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}), name: o.metadata.name };
}

function keyOf(o: KubeObject, name = o.metadata.name): string {
  return `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${name}`;
}

/** kustomize appends `-` and ten characters of a content hash to generated names. */
const HASH_SUFFIX = /-[a-z0-9]{10}$/;

function label(o: KubeObject): string {
  return `${o.kind}/${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

function yamlOf(view: ObjectView | undefined): string {
  return view ? stringify(view.visible, { lineWidth: 0, sortMapEntries: false }) : '';
}

function compareKeys(before: ObjectView | undefined, after: ObjectView | undefined): SecretKeys | undefined {
  const none: ObjectView['keys'] = new Map();
  const a = before?.keys ?? none;
  const b = after?.keys ?? none;
  if (a.size === 0 && b.size === 0) return undefined;
  const names = [...new Set([...a.keys(), ...b.keys()])].sort();
  const keys = names.map((key) => {
    const x = a.get(key);
    const y = b.get(key);
    const status: KeyStatus = !x ? 'added' : !y ? 'removed' : x.fingerprint === y.fingerprint ? 'unchanged' : 'changed';
    return { key, status };
  });
  const formats = [...new Set([...a.values(), ...b.values()].map((v) => v.format))].sort();
  return { formats, keys };
}

function change(before: { m: Manifest; v: ObjectView } | undefined, after: { m: Manifest; v: ObjectView } | undefined): ObjectChange | undefined {
  const secret = compareKeys(before?.v, after?.v);
  const from = yamlOf(before?.v);
  const to = yamlOf(after?.v);
  const keysMoved = secret?.keys.some((k) => k.status !== 'unchanged') ?? false;
  if (before && after && from === to && !keysMoved) return undefined;
  const obj = (after ?? before)!.m.object;
  const action: ChangeKind = !before ? 'added' : !after ? 'removed' : 'changed';
  const diff = unifiedDiff(from, to, { from: before ? `a/${label(before.m.object)}` : '/dev/null', to: after ? `b/${label(after.m.object)}` : '/dev/null' });
  const renamed = before && after && before.m.object.metadata.name !== after.m.object.metadata.name;
  return { action, object: idOf(obj), ...(renamed ? { previousName: before.m.object.metadata.name } : {}), diff, ...(secret ? { secret } : {}) };
}

/**
 * Every object that differs between `before` and `after` (each with the sealed-source index of
 * its own revision), in a stable order: by kind, namespace and name.
 */
export function compareBuilds(before: { manifests: readonly Manifest[]; index: SealedIndex }, after: { manifests: readonly Manifest[]; index: SealedIndex }): ObjectChange[] {
  const side = (s: typeof before): Map<string, { m: Manifest; v: ObjectView }> => new Map(s.manifests.map((m) => [keyOf(m.object), { m, v: viewObject(m.object, s.index) }]));
  const a = side(before);
  const b = side(after);
  const pairs: [string, { m: Manifest; v: ObjectView } | undefined, { m: Manifest; v: ObjectView } | undefined][] = [];
  for (const [k, x] of a) if (b.has(k)) pairs.push([k, x, b.get(k)]);
  const gone = [...a.entries()].filter(([k]) => !b.has(k));
  const come = [...b.entries()].filter(([k]) => !a.has(k));
  // A generated ConfigMap or Secret whose content changed comes back under a new hash suffix:
  // pair it with the one it replaces when exactly one on each side shares the unsuffixed name.
  const stem = (x: { m: Manifest }): string | undefined => {
    const o = x.m.object;
    return (o.kind === 'ConfigMap' || o.kind === 'Secret') && HASH_SUFFIX.test(o.metadata.name) ? keyOf(o, o.metadata.name.replace(HASH_SUFFIX, '')) : undefined;
  };
  const count = (list: typeof gone): Map<string, number> => {
    const c = new Map<string, number>();
    for (const [, x] of list) {
      const s = stem(x);
      if (s) c.set(s, (c.get(s) ?? 0) + 1);
    }
    return c;
  };
  const goneStems = count(gone);
  const comeStems = count(come);
  const paired = new Set<string>();
  for (const [k, x] of gone) {
    const s = stem(x);
    const partner = s && goneStems.get(s) === 1 && comeStems.get(s) === 1 ? come.find(([, y]) => stem(y) === s) : undefined;
    if (partner) {
      paired.add(partner[0]);
      pairs.push([k, x, partner[1]]);
    } else pairs.push([k, x, undefined]);
  }
  for (const [k, y] of come) if (!paired.has(k)) pairs.push([k, undefined, y]);
  const out: ObjectChange[] = [];
  for (const [, x, y] of pairs.sort((p, q) => (p[0] < q[0] ? -1 : p[0] > q[0] ? 1 : 0))) {
    const c = change(x, y);
    if (c) out.push(c);
  }
  return out;
}
