/**
 * The build stage as the agent and `sealops build` run it: a folder reached through a
 * kustomization is built by the real kustomize; a folder without one is read as plain
 * manifests (see index.ts). `components` and `targetNamespace` have Flux's meaning: they are
 * added to the root kustomization (generated over the plain manifests when there is none), in
 * the private build folder only.
 */
import { posix } from 'node:path';
import { parse, stringify } from 'yaml';
import { InputError } from '../errors.js';
import { assertUnique, buildManifests, readManifestText, type BuildInput, type BuildResult, type Manifest } from './index.js';
import { kustomizationIn, preflightKustomization } from './preflight.js';
import { runKustomize, type KustomizeOptions, type KustomizeRun } from './kustomize.js';
import { substituteManifests, type PostBuildValues } from './substitute.js';

/** What to build. */
export interface RenderInput {
  /** The repository's files (repository-relative paths). */
  readonly files: readonly BuildInput[];
  /** Folder to build ('' for the root). */
  readonly path: string;
  /** Kustomize Components added to the build, relative to `path` (Flux's `spec.components`). */
  readonly components?: readonly string[];
  /** Namespace set on every namespaced object (Flux's `spec.targetNamespace`). */
  readonly targetNamespace?: string;
  readonly kustomize?: KustomizeOptions;
  /** Post-build variables (Flux's `spec.postBuild`); no substitution at all when absent. */
  readonly postBuild?: PostBuildValues;
}

/**
 * How a build reaches outside itself, for a caller that runs it in a worker thread: kustomize
 * then runs on the thread that can kill it at a deadline, and each file is announced before
 * its (possibly huge) parse.
 */
export interface RenderHooks {
  /** Runs kustomize (default {@link runKustomize}). */
  readonly kustomize?: typeof runKustomize;
  /** Told each file (or, for kustomize's output, the kustomization) before it is parsed. */
  readonly reading?: (file: string) => void;
  /** Aborts kustomize (the reconcile deadline). */
  readonly signal?: AbortSignal;
}

/** The build and how it was made. */
export interface RenderResult extends BuildResult {
  /** The kustomization file built, when kustomize ran (generated ones are named `<path>/kustomization.yaml`). */
  readonly kustomization?: string;
  /** Milliseconds spent in kustomize. */
  readonly kustomizeMs: number;
}

function normalizeDir(path: string): string {
  const p = posix.normalize(path || '.').replace(/^\.\/?/, '').replace(/\/$/, '');
  if (p === '..' || p.startsWith('../') || posix.isAbsolute(p)) throw new InputError(`failed to build ${path}: the path must stay inside the repository`);
  return p;
}

/** The manifest files of a folder without a kustomization, as Flux's generated kustomization lists them. */
function plainResources(files: readonly BuildInput[], dir: string, reading?: (file: string) => void): string[] {
  const prefix = dir ? `${dir}/` : '';
  const inside = files.filter((f) => f.path.startsWith(prefix));
  const built = buildManifests(inside, reading);
  return [...new Set(built.manifests.map((m) => m.file))].map((f) => f.slice(prefix.length));
}

/** Renders the objects of `input.path`, then substitutes post-build variables. Throws InputError (or BuildRefusedError) naming the file. */
export async function renderPath(input: RenderInput, hooks: RenderHooks = {}): Promise<RenderResult> {
  const built = await buildPath(input, hooks);
  if (!input.postBuild) return built;
  const manifests = substituteManifests(built.manifests, input.postBuild);
  assertUnique(manifests);
  return { ...built, manifests };
}

async function buildPath(input: RenderInput, hooks: RenderHooks): Promise<RenderResult> {
  const dir = normalizeDir(input.path);
  const components = (input.components ?? []).map((c) => c.trim()).filter((c) => c !== '');
  const map = new Map(input.files.map((f) => [f.path, f.content]));
  let rootFile = kustomizationIn(map, dir);
  if (!rootFile && components.length === 0 && !input.targetNamespace) {
    const prefix = dir ? `${dir}/` : '';
    const plain = buildManifests(input.files.filter((f) => f.path.startsWith(prefix)), hooks.reading);
    return { ...plain, sources: input.files, kustomizeMs: 0 };
  }
  const overrides = new Map<string, string>();
  if (rootFile === undefined || components.length > 0 || input.targetNamespace) {
    const generated = rootFile === undefined;
    rootFile ??= dir ? `${dir}/kustomization.yaml` : 'kustomization.yaml';
    const base: Record<string, unknown> = generated
      ? { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: plainResources(input.files, dir, hooks.reading) }
      : ((parse(map.get(rootFile)!.toString('utf8'), { maxAliasCount: 100 }) as Record<string, unknown> | null) ?? {});
    if (components.length) base.components = [...(Array.isArray(base.components) ? (base.components as unknown[]) : []), ...components];
    if (input.targetNamespace) base.namespace = input.targetNamespace;
    overrides.set(rootFile, stringify(base));
    if (generated) map.set(rootFile, Buffer.from(overrides.get(rootFile)!));
  }
  const effective = new Map(map);
  for (const [p, text] of overrides) effective.set(p, Buffer.from(text));
  hooks.reading?.(rootFile);
  preflightKustomization(effective, dir);
  const run: KustomizeRun = await (hooks.kustomize ?? runKustomize)(map, dir, rootFile, input.kustomize, overrides, hooks.signal);
  const manifests: Manifest[] = [];
  const skipped: BuildResult['skipped'] = [];
  // kustomize separates documents with a bare `---` line; parsing them one at a time keeps the
  // parser's working memory to one object instead of the whole build.
  hooks.reading?.(rootFile);
  run.output.split(/^---$/m).forEach((doc, i) => readManifestText(rootFile, doc, 'yaml', manifests, skipped, i));
  assertUnique(manifests);
  return { manifests, files: [], skipped, sources: input.files, kustomization: rootFile, kustomizeMs: run.ms };
}
