/**
 * `sealops keys list [PATH] [--check]`: every key a repository and its clusters know, which
 * files are sealed to which key, and the problems a CI gate must stop on — a file a cluster
 * its path rule picks cannot open, a file sealed only to retired keys, a rule naming an unknown
 * cluster, a backup older than the newest key set. Public data only: no key is needed, no value
 * is opened, and messages name files and keys, never a value.
 */
import { dirname, resolve } from 'node:path';
import { describe, SealopsError } from '../errors.js';
import { readClusterKeyView, type ClusterKeyView } from '../keys/cluster-view.js';
import { createConfigCache, type ClusterConfig } from '../keys/config.js';
import { readRepositoryInventory, type SealedFileInfo } from '../keys/inventory.js';
import { readRsaCertificate } from '../keys/rsa-cert.js';
import { withKubeClient } from '../kube/client.js';
import { loadKubeConnection } from '../kube/config.js';

/** One key: an age recipient, an RSA key (`SHA256:`), or a key set (`ks-…`). */
export interface KeyEntry {
  readonly fingerprint: string;
  readonly kind: 'age' | 'rsa' | 'key-set';
  /** What `.sealops.yaml` says it is: a cluster's current key, a previous (still opened) or retired key, a team key, or nothing. */
  readonly role: 'cluster' | 'team' | 'previous' | 'retired' | 'unknown';
  /** Clusters of `.sealops.yaml` (and contexts read) it belongs to. */
  readonly clusters: readonly string[];
  /** The key set it belongs to, when known. */
  readonly keySet?: string;
  readonly createdAt?: string;
  readonly ageDays?: number;
  /** The cluster's state of its set, when read. */
  readonly state?: 'active' | 'previous' | 'retired';
  /** SOPS files sealed to it. */
  readonly files: readonly string[];
  /** Syncs whose status lists its set. */
  readonly usedBy: readonly string[];
  /** Whether anything still needs it; undefined when that cannot be told offline (an RSA key). */
  readonly inUse?: boolean;
}

/** Kinds of problem `--check` fails on. */
export type KeysProblemKind = 'cannot-open' | 'retired-only' | 'unknown-cluster' | 'unreadable' | 'stale-backup' | 'retired-in-use';

/** A problem, named by file and key, never by value. */
export interface KeysProblem {
  readonly kind: KeysProblemKind;
  readonly file?: string;
  readonly cluster?: string;
  readonly message: string;
}

/** A cluster read through a kubeconfig context, and the cluster of `.sealops.yaml` it matched. */
export interface ClusterSide extends ClusterKeyView {
  readonly cluster?: string;
}

/** What `keys list` reports. */
export interface KeysListReport {
  readonly root: string;
  readonly configFile?: string;
  readonly keys: readonly KeyEntry[];
  readonly files: readonly SealedFileInfo[];
  readonly clusters: readonly ClusterSide[];
  readonly problems: readonly KeysProblem[];
  readonly notes: readonly string[];
}

/** Options of {@link listKeys}. */
export interface KeysListOptions {
  readonly path?: string;
  readonly cwd: string;
  /** Kubeconfig contexts whose cluster side to read (none: the repository only). */
  readonly contexts?: readonly string[];
  readonly kubeconfig?: string;
  /** The agent's namespace (default `sealops-system`). */
  readonly namespace?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: Date;
}

type MutableKey = { -readonly [K in keyof KeyEntry]: KeyEntry[K] } & { clusters: string[]; files: string[]; usedBy: string[] };

function ageOf(createdAt: string | undefined, now: Date): number | undefined {
  const t = Date.parse(createdAt ?? '');
  return Number.isNaN(t) ? undefined : Math.max(0, Math.floor((now.getTime() - t) / 86_400_000));
}

async function readSides(opts: KeysListOptions): Promise<ClusterKeyView[]> {
  const out: ClusterKeyView[] = [];
  for (const context of opts.contexts ?? []) {
    const conn = loadKubeConnection({ kubeconfig: opts.kubeconfig, context: context === '' ? undefined : context, env: opts.env });
    out.push(await withKubeClient(conn, (client) => readClusterKeyView(client, opts.namespace ?? 'sealops-system', context || '(current)')));
  }
  return out;
}

/** The config cluster a cluster side belongs to: by key-set fingerprint, else by a shared recipient. */
function matchCluster(view: ClusterKeyView, clusters: ReadonlyMap<string, ClusterConfig>): string | undefined {
  const fps = new Set(view.sets.map((s) => s.fingerprint));
  const recipients = new Set(view.sets.flatMap((s) => s.recipients));
  for (const c of clusters.values()) if (c.keySet && fps.has(c.keySet)) return c.name;
  for (const c of clusters.values()) if (c.recipients.some((r) => recipients.has(r))) return c.name;
  return undefined;
}

/** Lists the keys of the repository under `path` and of the clusters of `contexts`. */
export async function listKeys(opts: KeysListOptions): Promise<KeysListReport> {
  const now = opts.now ?? new Date();
  const inventory = await readRepositoryInventory(opts.path ?? '.', opts.cwd, createConfigCache());
  const views = await readSides(opts);
  const notes: string[] = [];
  const keys = new Map<string, MutableKey>();
  const key = (fingerprint: string, kind: KeyEntry['kind']): MutableKey => {
    let k = keys.get(fingerprint);
    if (!k) keys.set(fingerprint, (k = { fingerprint, kind, role: 'unknown', clusters: [], files: [], usedBy: [] }));
    return k;
  };
  const addCluster = (k: MutableKey, name: string): MutableKey => {
    if (!k.clusters.includes(name)) k.clusters.push(name);
    return k;
  };
  const configKey = (fingerprint: string, kind: KeyEntry['kind'], cluster: string, role: KeyEntry['role']): MutableKey => {
    const k = addCluster(key(fingerprint, kind), cluster);
    if (k.role !== 'retired') k.role = role;
    return k;
  };
  const configFile = inventory.config?.file;

  for (const c of inventory.clusters.values()) {
    for (const r of c.retired ?? []) configKey(r, r.startsWith('age1') ? 'age' : 'rsa', c.name, 'retired');
    for (const r of c.previous ?? []) configKey(r, r.startsWith('age1') ? 'age' : 'rsa', c.name, 'previous');
    for (const r of c.recipients) {
      const k = configKey(r, 'age', c.name, 'cluster');
      if (c.keySet) k.keySet = c.keySet;
    }
    if (c.keySet) configKey(c.keySet, 'key-set', c.name, 'cluster');
    if (!c.certificate || !configFile) continue;
    if (/^https?:\/\//.test(c.certificate)) {
      notes.push(`cluster ${c.name}: certificate ${c.certificate} not fetched (keys list reads no URL)`);
      continue;
    }
    try {
      const cert = await readRsaCertificate(resolve(dirname(configFile), c.certificate));
      configKey(cert.fingerprint, 'rsa', c.name, 'cluster').createdAt = new Date(cert.certificate.validFrom).toISOString();
    } catch (err) {
      if (!(err instanceof SealopsError)) throw err;
      notes.push(`cluster ${c.name}: ${describe(err)}`);
    }
  }
  for (const r of inventory.config?.team ?? []) key(r, 'age').role = 'team';
  for (const f of inventory.files) for (const r of f.recipients ?? []) key(r, 'age').files.push(f.file);

  const sides: ClusterSide[] = [];
  const retired = new Set<string>([...keys.values()].filter((k) => k.role === 'retired').map((k) => k.fingerprint));
  const current = new Map<string, Set<string>>();
  // A previous set still opens what was sealed to it: no cannot-open problem, a note instead.
  const previous = new Map<string, Set<string>>();
  for (const c of inventory.clusters.values()) {
    current.set(c.name, new Set([...c.recipients, ...(c.previous ?? [])]));
    previous.set(c.name, new Set(c.previous ?? []));
  }
  for (const view of views) {
    const cluster = matchCluster(view, inventory.clusters);
    if (!cluster) notes.push(`context ${view.context}: none of its key sets belongs to a cluster of ${configFile ?? '.sealops.yaml'}`);
    sides.push({ ...view, ...(cluster ? { cluster } : {}) });
    notes.push(...view.notes);
    if (!view.backup && view.sets.length > 0) notes.push(`cluster ${cluster ?? view.context}: no key backup recorded (sealops keys backup)`);
    for (const set of view.sets) {
      const label = cluster ?? view.context;
      const members = [key(set.fingerprint, 'key-set'), ...set.recipients.map((r) => key(r, 'age')), ...set.rsaKeys.map((r) => key(r, 'rsa'))];
      for (const k of members) {
        addCluster(k, label);
        Object.assign(k, { state: set.state, ...(set.createdAt ? { createdAt: set.createdAt } : {}) });
        if (k.kind !== 'key-set') k.keySet = set.fingerprint;
        for (const s of set.usedBy) if (!k.usedBy.includes(s)) k.usedBy.push(s);
        if (set.state === 'retired') retired.add(k.fingerprint);
        else if (cluster && k.kind === 'age') current.get(cluster)?.add(k.fingerprint);
      }
    }
  }

  const problems: KeysProblem[] = inventory.issues.map((i) => ({ kind: i.kind, file: i.file, message: i.message }));
  for (const f of inventory.files) {
    const recipients = f.recipients ?? [];
    if (f.format !== 'sops') continue;
    for (const name of f.clusters) {
      const mine = current.get(name) ?? new Set();
      if (mine.size > 0 && !recipients.some((r) => mine.has(r))) {
        problems.push({ kind: 'cannot-open', file: f.file, cluster: name, message: `${f.file}: cluster ${name} (picked by its path rule) cannot open it: none of its current keys is a recipient` });
      } else if (recipients.some((r) => previous.get(name)?.has(r)) && !recipients.some((r) => mine.has(r) && !previous.get(name)?.has(r))) {
        notes.push(`${f.file}: cluster ${name} opens it only with a previous key set; re-seal it (sealops rekey --all) before retiring that set`);
      }
    }
    if (recipients.length > 0 && recipients.every((r) => retired.has(r))) {
      problems.push({ kind: 'retired-only', file: f.file, message: `${f.file}: sealed only to retired keys (${recipients.join(', ')})` });
    }
  }
  for (const side of sides) problems.push(...clusterProblems(side, now));

  // A set is in use when a file is sealed to one of its keys, even if no Sync reported it yet.
  const setsWithFiles = new Set([...keys.values()].filter((k) => k.files.length > 0 && k.keySet).map((k) => k.keySet));
  const entries: KeyEntry[] = [...keys.values()].map((k) => {
    const used = k.files.length > 0 || k.usedBy.length > 0 || (k.kind === 'key-set' && setsWithFiles.has(k.fingerprint));
    const inUse = used ? true : k.kind === 'rsa' ? undefined : false;
    const ageDays = ageOf(k.createdAt, now);
    return { ...k, ...(ageDays !== undefined ? { ageDays } : {}), ...(inUse !== undefined ? { inUse } : {}) };
  });
  return { root: inventory.root, ...(configFile ? { configFile } : {}), keys: entries, files: inventory.files, clusters: sides, problems, notes };
}

/** A backup older than the newest set, or missing a set still kept; a Sync still using a retired set. */
function clusterProblems(side: ClusterSide, now: Date): KeysProblem[] {
  const out: KeysProblem[] = [];
  const label = side.cluster ?? side.context;
  const kept = side.sets.filter((s) => s.state !== 'retired');
  const newest = kept.map((s) => Date.parse(s.createdAt ?? '')).filter((t) => !Number.isNaN(t)).sort((a, b) => b - a)[0];
  if (side.backup) {
    const t = Date.parse(side.backup.time);
    const missing = kept.filter((s) => !side.backup!.fingerprints.includes(s.fingerprint)).map((s) => s.fingerprint);
    if ((newest !== undefined && !(t >= newest)) || missing.length > 0) {
      const why = missing.length > 0 ? `it lacks ${missing.join(', ')}` : `it predates the newest key set`;
      out.push({ kind: 'stale-backup', cluster: label, message: `cluster ${label}: the last key backup (${side.backup.time}, ${ageOf(side.backup.time, now) ?? '?'} days old) is stale: ${why}` });
    }
  }
  for (const s of side.sets) {
    if (s.state === 'retired' && s.usedBy.length > 0) {
      out.push({ kind: 'retired-in-use', cluster: label, message: `cluster ${label}: retired key set ${s.fingerprint} is still used by ${s.usedBy.join(', ')}` });
    }
  }
  return out;
}
