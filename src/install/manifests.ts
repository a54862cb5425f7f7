/**
 * The install manifests: the objects of `deploy/` exactly as `kustomize build deploy/` makes them
 * (its `resources:` in order, its `images:`), optionally moved to another namespace and pinned to
 * another image the way a kustomize overlay's `namespace:` and `images:` would. Read from the
 * package's own `deploy/` folder, so `sealops install` and `kubectl apply -k` cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { InputError } from '../errors.js';
import { readDocuments } from '../manifest/parse.js';

/** A Kubernetes object as plain JSON. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

/** What to change from the defaults of deploy/. */
export interface InstallOptions {
  /** Image reference for the agent (`REGISTRY/NAME:TAG` or `…@sha256:…`). */
  readonly image?: string;
  /** Namespace for the agent (default sealops-system). */
  readonly namespace?: string;
  /** Folder holding kustomization.yaml (default: the package's deploy/). */
  readonly deployDir?: string;
}

/** The package's deploy/ folder (dist/src/install → ../../../deploy; src/install → ../../deploy). */
export function defaultDeployDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return here.includes(`${'/dist/'}`) ? join(here, '..', '..', '..', 'deploy') : join(here, '..', '..', 'deploy');
}

interface ImageRule {
  name: string;
  newName?: string;
  newTag?: string;
  digest?: string;
}

const NAME_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
// REGISTRY[:PORT]/PATH[:TAG][@DIGEST], as container runtimes read it.
const IMAGE_RE = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** Splits `ref` into its name and its `:tag` / `@digest` suffix. */
function splitImage(ref: string): { name: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const rest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = rest.lastIndexOf(':');
  const tag = colon > rest.lastIndexOf('/') ? rest.slice(colon + 1) : undefined;
  return { name: tag === undefined ? rest : rest.slice(0, colon), tag, digest };
}

function applyImageRules(ref: string, rules: readonly ImageRule[]): string {
  const img = splitImage(ref);
  const rule = rules.find((r) => r.name === img.name);
  if (!rule) return ref;
  const name = rule.newName ?? img.name;
  if (rule.digest) return `${name}@${rule.digest}`;
  const tag = rule.newTag ?? img.tag;
  return `${name}${tag ? `:${tag}` : ''}${!rule.newTag && img.digest ? `@${img.digest}` : ''}`;
}

function readYamlObjects(path: string): KubeObject[] {
  return readDocuments(readFileSync(path, 'utf8'), path) as KubeObject[];
}

function containersOf(obj: KubeObject): { image?: string }[] {
  const spec = (obj.spec as { template?: { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } } } | undefined)?.template?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])];
}

/** The objects to install, in apply order (deploy/'s `resources:` order: Namespace, CRD, RBAC, Deployment). */
export function installManifests(options: InstallOptions = {}): KubeObject[] {
  const dir = options.deployDir ?? defaultDeployDir();
  let kustomization: { resources?: string[]; images?: ImageRule[] };
  try {
    const file = join(dir, 'kustomization.yaml');
    kustomization = readDocuments(readFileSync(file, 'utf8'), file)[0] ?? {};
  } catch (err) {
    throw new InputError(`failed to read the install manifests in ${dir}: ${(err as Error).message}`, { cause: err });
  }
  const objects = (kustomization.resources ?? []).flatMap((r) => readYamlObjects(join(dir, r)));
  const rules: ImageRule[] = [...(kustomization.images ?? [])];
  const base = objects.find((o) => o.kind === 'Namespace')?.metadata.name;
  if (options.image !== undefined && !IMAGE_RE.test(options.image)) {
    throw new InputError(`failed to use image ${JSON.stringify(options.image)}: not an image reference (REGISTRY/NAME:TAG or NAME@sha256:DIGEST)`);
  }
  for (const o of objects) {
    for (const c of containersOf(o)) {
      if (!c.image) continue;
      // --image replaces what deploy/'s `images:` names, as an overlay's `images:` entry would.
      const named = rules.some((r) => r.name === splitImage(c.image!).name);
      c.image = options.image !== undefined && named ? options.image : applyImageRules(c.image, rules);
    }
  }
  if (options.namespace !== undefined && options.namespace !== base) {
    const ns = options.namespace;
    if (!NAME_RE.test(ns)) throw new InputError(`failed to use namespace ${JSON.stringify(ns)}: not a valid namespace name`);
    for (const o of objects) {
      if (o.kind === 'Namespace' && o.apiVersion === 'v1') o.metadata.name = ns;
      else if (o.metadata.namespace !== undefined) o.metadata.namespace = ns;
      const subjects = (o as { subjects?: { kind?: string; namespace?: string }[] }).subjects;
      if (/^(Cluster)?RoleBinding$/.test(o.kind)) for (const s of subjects ?? []) if (s.kind === 'ServiceAccount' && s.namespace === base) s.namespace = ns;
    }
  }
  return objects;
}

/** The objects as one multi-document YAML stream, as `sealops install --export` prints it. */
export function exportManifests(objects: readonly KubeObject[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}
