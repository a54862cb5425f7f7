/**
 * Build stage: turn the files of a snapshot into Kubernetes objects, in a stable order,
 * remembering which file (and which document in it) each object came from.
 *
 * The rule for what counts as a manifest:
 * - files ending in `.yaml`, `.yml` or `.json`, not hidden (no path segment starting with `.`);
 * - every document of a file; empty documents are skipped;
 * - a document that is not a mapping, or lacks `apiVersion` or `kind`, is skipped and counted
 *   (configuration files such as kustomization.yaml or values files live next to manifests);
 *   `kustomize.config.k8s.io` objects are skipped the same way;
 * - a document with `apiVersion` and `kind` must have a `metadata.name`, or the build fails;
 * - `kind: List` (`v1`) is expanded into its items;
 * - a file that does not parse fails the build (fail closed: it might hold a Secret).
 */
import { InputError } from '../errors.js';
import { readDocuments } from '../manifest/parse.js';
import { isRecord } from '../util/record.js';

/** One Kubernetes object read from the repository. */
export interface Manifest {
  /** The object as written (decrypt may replace it with the unsealed form). */
  object: KubeObject;
  /** Repository-relative file it came from. */
  readonly file: string;
  /** Zero-based document index within the file (items of a List share their List's index). */
  readonly doc: number;
}

/** A Kubernetes object as plain JSON. */
export type KubeObject = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: Record<string, unknown> & { name: string; namespace?: string };
};

/** One manifest file with its text, kept for the decrypt stage (SOPS verifies the file as a whole). */
export interface ManifestFile {
  readonly path: string;
  readonly text: string;
  readonly format: 'yaml' | 'json';
}

/** What the build produced. */
export interface BuildResult {
  readonly manifests: Manifest[];
  readonly files: ManifestFile[];
  /** Documents skipped by the rule above, with why (for logs; never their content). */
  readonly skipped: { file: string; doc: number; why: string }[];
  /** Every file the build could read (the repository): where the decrypt stage finds sealed sources. */
  readonly sources: readonly BuildInput[];
}

/** A file as the source stage hands it over. */
export interface BuildInput {
  readonly path: string;
  readonly content: Buffer;
}

const MANIFEST_EXT = /\.(ya?ml|json)$/i;

/** Whether `path` is read by the build at all. */
export function isManifestPath(path: string): boolean {
  if (!MANIFEST_EXT.test(path)) return false;
  return !path.split('/').some((seg) => seg.startsWith('.'));
}

/** The API group of an apiVersion (`''` for the core group). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash < 0 ? '' : apiVersion.slice(0, slash);
}

/** Parses every document of one file; throws InputError naming the file on a syntax error. */
function parseDocuments(file: string, text: string, format: 'yaml' | 'json'): unknown[] {
  if (format === 'json') {
    try {
      return [JSON.parse(text) as unknown];
    } catch (err) {
      throw new InputError(`failed to parse ${file}: not valid JSON`, { cause: err });
    }
  }
  return readDocuments(text, file, { uniqueKeys: true, keepEmpty: true });
}

function validate(file: string, doc: number, value: Record<string, unknown>): KubeObject {
  const where = `${file} (document ${doc + 1})`;
  if (typeof value.apiVersion !== 'string' || value.apiVersion === '') throw new InputError(`failed to build ${where}: apiVersion must be a string`);
  if (typeof value.kind !== 'string' || value.kind === '') throw new InputError(`failed to build ${where}: kind must be a string`);
  const meta = value.metadata;
  if (!isRecord(meta) || typeof meta.name !== 'string' || meta.name === '') {
    throw new InputError(`failed to build ${where}: ${value.kind} has no metadata.name`);
  }
  if (meta.name.includes('/') || meta.name.length > 253) throw new InputError(`failed to build ${where}: metadata.name is not a valid name`);
  if (meta.namespace !== undefined && (typeof meta.namespace !== 'string' || meta.namespace === '')) {
    throw new InputError(`failed to build ${where}: metadata.namespace must be a non-empty string`);
  }
  return value as KubeObject;
}

/**
 * Reads the objects of one file's text into `out` (the manifest rule above); `skipped` collects
 * what was left out. Throws InputError naming the file for a malformed document.
 */
export function readManifestText(path: string, text: string, format: 'yaml' | 'json', out: Manifest[], skipped: BuildResult['skipped'], firstDoc = 0): void {
  parseDocuments(path, text, format).forEach((value, index) => {
    const doc = firstDoc + index;
    if (value === null || value === undefined) return;
    if (!isRecord(value)) return void skipped.push({ file: path, doc, why: 'not a mapping' });
    if (value.apiVersion === undefined || value.kind === undefined) return void skipped.push({ file: path, doc, why: 'no apiVersion or kind' });
    if (typeof value.apiVersion === 'string' && groupOf(value.apiVersion) === 'kustomize.config.k8s.io') {
      return void skipped.push({ file: path, doc, why: 'kustomize configuration' });
    }
    if (value.kind === 'List' && value.apiVersion === 'v1' && Array.isArray(value.items)) {
      for (const item of value.items) {
        if (!isRecord(item)) throw new InputError(`failed to build ${path} (document ${doc + 1}): List item is not an object`);
        out.push({ object: validate(path, doc, item), file: path, doc });
      }
      return;
    }
    out.push({ object: validate(path, doc, value), file: path, doc });
  });
}

/** Throws InputError when two manifests define the same object. */
export function assertUnique(manifests: readonly Manifest[]): void {
  const seen = new Map<string, string>();
  for (const m of manifests) {
    const o = m.object;
    const key = `${groupOf(o.apiVersion)}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const prior = seen.get(key);
    if (prior !== undefined) throw new InputError(`failed to build ${m.file}: ${o.kind} ${o.metadata.name} is also defined in ${prior}`);
    seen.set(key, m.file);
  }
}

/**
 * Builds the object list from `files` (any order in; sorted by path out). Throws InputError
 * naming the file and document for a malformed manifest or a duplicate object. `reading` is
 * told each file before it is parsed (a worker reports it, so a parse that runs out of memory
 * can be blamed on its file).
 */
export function buildManifests(files: readonly BuildInput[], reading?: (file: string) => void): BuildResult {
  const manifests: Manifest[] = [];
  const kept: ManifestFile[] = [];
  const skipped: BuildResult['skipped'] = [];
  const sorted = [...files].filter((f) => isManifestPath(f.path)).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const f of sorted) {
    const format = /\.json$/i.test(f.path) ? 'json' : 'yaml';
    const text = f.content.toString('utf8');
    kept.push({ path: f.path, text, format });
    reading?.(f.path);
    readManifestText(f.path, text, format, manifests, skipped);
  }
  assertUnique(manifests);
  return { manifests, files: kept, skipped, sources: files };
}
