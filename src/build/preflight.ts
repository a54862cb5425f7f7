/**
 * Checks a kustomization tree before kustomize runs on it. The repository is an attacker's
 * input: every kustomization reachable from the build root is read, and anything that would
 * fetch from the network, leave the repository, run a program or inflate a Helm chart is
 * refused with a message naming the file. kustomize's own flags (root-only load restrictor,
 * no plugins, no exec) and its environment (no network, no git) are the second line.
 */
import { posix } from 'node:path';
import { parse } from 'yaml';
import { InputError } from '../errors.js';
import { parseDocumentsLinear } from '../manifest/unique-keys.js';
import { asRecord as rec } from '../util/record.js';

/** The file names kustomize reads as a kustomization, in its order of preference. */
export const KUSTOMIZATION_NAMES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

/** A refusal: why the build will not run, naming the file. */
export class BuildRefusedError extends InputError {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(`failed to build ${file}: ${why}`);
  }
}

/** Files of the snapshot by repository-relative path. */
export type FileMap = ReadonlyMap<string, Buffer>;

/** The kustomization file of `dir` ('' for the root), if it has one. */
export function kustomizationIn(files: FileMap, dir: string): string | undefined {
  for (const n of KUSTOMIZATION_NAMES) {
    const p = dir ? `${dir}/${n}` : n;
    if (files.has(p)) return p;
  }
  return undefined;
}

function isDir(files: FileMap, dir: string): boolean {
  const prefix = dir ? `${dir}/` : '';
  for (const p of files.keys()) if (p.startsWith(prefix)) return true;
  return false;
}

// Anything kustomize would hand to its remote loader (git clone or HTTP GET).
// A scheme (`https:`, `ssh:`, `file:`), scp-style git, a bare forge host, `repo//subdir` or `?ref=`.
const REMOTE = /^[a-z][a-z0-9+.-]*:|^[^/]*@[^/]*:|^(github|gitlab|bitbucket)\.(com|org)\/|\/\/|\?/i;

/** Fields that name a file or folder (or a list of them). */
const PATH_FIELDS = ['resources', 'bases', 'components', 'crds', 'configurations', 'patchesStrategicMerge', 'transformers', 'generators', 'validators'] as const;
const HELM_FIELDS = ['helmCharts', 'helmChartInflationGenerator', 'helmGlobals'] as const;
const FUNCTION_ANNOTATIONS = ['config.kubernetes.io/function', 'config.k8s.io/function'];

function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

/** Every path a kustomization names, with the field it came from (inline YAML entries excluded). */
function namedPaths(k: Record<string, unknown>): { field: string; path: string }[] {
  const out: { field: string; path: string }[] = [];
  const add = (field: string, p: string): void => void out.push({ field, path: p });
  for (const f of PATH_FIELDS) for (const s of strings(k[f])) if (!s.includes('\n')) add(f, s.trim());
  for (const p of Array.isArray(k.patches) ? k.patches : []) if (typeof rec(p)?.path === 'string') add('patches', rec(p)!.path as string);
  for (const p of Array.isArray(k.patchesJson6902) ? k.patchesJson6902 : []) if (typeof rec(p)?.path === 'string') add('patchesJson6902', rec(p)!.path as string);
  for (const p of Array.isArray(k.replacements) ? k.replacements : []) if (typeof rec(p)?.path === 'string') add('replacements', rec(p)!.path as string);
  const openapi = rec(k.openapi)?.path;
  if (typeof openapi === 'string') add('openapi', openapi);
  for (const field of ['configMapGenerator', 'secretGenerator']) {
    for (const g of Array.isArray(k[field]) ? (k[field] as unknown[]) : []) {
      const gen = rec(g);
      if (!gen) continue;
      // `files:` entries may be `key=path`.
      for (const s of strings(gen.files)) add(field, s.includes('=') ? s.slice(s.indexOf('=') + 1) : s);
      for (const s of [...strings(gen.envs), ...strings(gen.env)]) add(field, s);
    }
  }
  return out;
}

function checkFunctionConfig(file: string, text: string): void {
  for (const doc of parseDocumentsLinear(text)) {
    const meta = rec(rec(doc.toJS({ maxAliasCount: 100 }) as unknown)?.metadata);
    const annotations = rec(meta?.annotations) ?? {};
    if (FUNCTION_ANNOTATIONS.some((a) => a in annotations)) throw new BuildRefusedError(file, 'KRM functions (exec or container) are not run');
  }
}

/**
 * Walks every kustomization reachable from `root` (a repository-relative folder) and refuses:
 * a remote base or resource (any URL), an absolute path or one that leaves the repository,
 * Helm inflation, and KRM function (exec/container) configurations. Returns the
 * kustomization files visited, root first.
 */
export function preflightKustomization(files: FileMap, root: string): string[] {
  const visited: string[] = [];
  const seen = new Set<string>();
  const visit = (dir: string): void => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const file = kustomizationIn(files, dir);
    if (!file) return;
    visited.push(file);
    let k: Record<string, unknown>;
    try {
      k = rec(parse(files.get(file)!.toString('utf8'), { maxAliasCount: 100 }) as unknown) ?? {};
    } catch {
      throw new BuildRefusedError(file, 'not valid YAML');
    }
    for (const f of HELM_FIELDS) if (k[f] !== undefined) throw new BuildRefusedError(file, `Helm chart inflation (${f}) is not supported`);
    for (const f of ['transformers', 'generators', 'validators']) {
      for (const s of strings(k[f])) if (s.includes('\n')) checkFunctionConfig(file, s);
    }
    for (const { field, path } of namedPaths(k)) {
      if (REMOTE.test(path)) throw new BuildRefusedError(file, `remote ${field} ${JSON.stringify(path)} is not fetched`);
      if (posix.isAbsolute(path)) throw new BuildRefusedError(file, `${field} ${JSON.stringify(path)} is an absolute path`);
      const target = posix.normalize(posix.join(dir || '.', path)).replace(/\/$/, '');
      if (target === '..' || target.startsWith('../')) throw new BuildRefusedError(file, `${field} ${JSON.stringify(path)} leaves the repository`);
      const rel = target === '.' ? '' : target;
      if (['transformers', 'generators', 'validators'].includes(field) && files.has(rel)) checkFunctionConfig(file, files.get(rel)!.toString('utf8'));
      if (isDir(files, rel) && !files.has(rel)) visit(rel);
    }
  };
  visit(root);
  return visited;
}
