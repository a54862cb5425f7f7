/**
 * Build and decrypt, as one function: what the agent applies for a Sync, and what
 * `sealops build` prints for a folder. One code path, so the two cannot disagree.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { parse, stringify } from 'yaml';
import { InputError } from '../errors.js';
import { renderPath, type RenderInput, type RenderResult } from '../build/render.js';
import type { BuildInput, Manifest } from '../build/index.js';
import type { KustomizeOptions } from '../build/kustomize.js';
import { checkVariableNames, type PostBuildValues } from '../build/substitute.js';
import { decryptManifests, loadDecryptionKeys, type DecryptionKeys, type DecryptOptions, type DecryptResult } from './decrypt/index.js';
import { renderOffThread, type OffThreadOptions } from './offthread.js';
import { stampSealedDigests } from './drift/sealed-digests.js';

/** What a render produced. */
export interface Rendered {
  /** The objects to apply, unsealed (or redacted). */
  readonly manifests: Manifest[];
  /** Every plaintext value held in memory: redact every report against these. */
  readonly secrets: string[];
  /** Documents the plain-manifest reader skipped, with why. */
  readonly skipped: { file: string; doc: number; why: string }[];
  readonly unsealed: number;
  /** The kustomization built, when kustomize ran. */
  readonly kustomization?: string;
  /** Milliseconds spent in kustomize. */
  readonly kustomizeMs: number;
  /** The build before decryption (no plaintext): what tells which key sets it needs. */
  readonly built: RenderResult;
}

/**
 * The last build of one Sync, by a digest of everything it depends on (commit, path, components,
 * target namespace, post-build values): a no-op resync does not run kustomize again. It holds
 * the build before decryption, so no plaintext.
 */
export interface BuildMemo {
  key?: string;
  built?: RenderResult;
}

/**
 * Renders `input` and unseals what it holds. Throws a SealopsError naming the file on any refusal.
 * With `offThread` (the agent) both stages run in a worker thread with a capped heap, terminated
 * when its signal fires (see offthread.ts).
 */
export async function renderSync(input: RenderInput, decrypt: DecryptOptions, memo?: { readonly key: string; readonly slot: BuildMemo }, offThread?: OffThreadOptions): Promise<Rendered> {
  const reuse = memo && memo.slot.key === memo.key ? memo.slot.built : undefined;
  // A stale build is dropped before the new one is made, not held beside it.
  if (memo && !reuse) Object.assign(memo.slot, { key: undefined, built: undefined });
  let built: RenderResult;
  let decrypted: DecryptResult;
  if (offThread) {
    const r = await renderOffThread(input, decrypt, offThread, reuse);
    built = reuse ?? { ...r.built, files: [], sources: input.files };
    decrypted = r;
  } else {
    built = reuse ?? (await renderPath(input));
    decrypted = await decryptManifests(built, decrypt);
  }
  if (memo && !reuse) Object.assign(memo.slot, { key: memo.key, built });
  return {
    // Keyless comparison (diff --live): each sealed Secret carries its ciphertext digests.
    manifests: decrypted.unsealed ? stampSealedDigests(built.manifests, decrypted.manifests, built.sources) : decrypted.manifests,
    secrets: decrypted.secrets,
    skipped: built.skipped,
    unsealed: decrypted.unsealed,
    ...(built.kustomization ? { kustomization: built.kustomization } : {}),
    kustomizeMs: reuse ? 0 : built.kustomizeMs,
    built,
  };
}

/** What `sealops build` renders. */
export interface LocalRenderOptions {
  /** The folder to build (absolute). */
  readonly path: string;
  /** Post-build variables (`--substitute K=V`). */
  readonly substitute?: Readonly<Record<string, string>>;
  /** ConfigMap or Secret manifests to read variables from (`--substitute-from FILE`), as text. */
  readonly substituteFrom?: readonly { readonly source: string; readonly text: string }[];
  /** Key files (age identities, PEM RSA keys), as text: without any, sealed values are redacted. */
  readonly keyFiles?: readonly { readonly source: string; readonly text: string }[];
  readonly kustomize?: KustomizeOptions;
  /** Accept SOPS Secrets without a scope binding, as a Sync with `spec.decryption.allowUnbound`. */
  readonly allowUnbound?: boolean;
  /** Told about each unbound Secret accepted. */
  readonly warn?: (message: string) => void;
  /** A Sync's `spec.components`, `spec.targetNamespace` and loaded `spec.postBuild` (diff --live). */
  readonly sync?: { readonly components?: readonly string[]; readonly targetNamespace?: string; readonly postBuild?: PostBuildValues };
}

/**
 * Renders a local folder exactly as the agent would: the repository around it (the nearest
 * folder holding `.git`, else the folder itself) is read as the source stage reads a commit
 * (regular files, symlinks only inside it, nothing under `.git`), then {@link renderSync}.
 */
export async function renderLocal(options: LocalRenderOptions): Promise<Rendered> {
  const root = repositoryRoot(options.path);
  const files = await readRepository(root);
  const vars: Record<string, string> = {};
  const secretNames = new Set<string>();
  for (const from of options.substituteFrom ?? []) {
    const obj = parse(from.text) as { kind?: unknown; data?: Record<string, unknown>; stringData?: Record<string, unknown> } | null;
    if (!obj || (obj.kind !== 'ConfigMap' && obj.kind !== 'Secret')) throw new InputError(`failed to read ${from.source}: expected a ConfigMap or Secret manifest`);
    const isSecret = obj.kind === 'Secret';
    for (const [k, v] of Object.entries(obj.data ?? {})) vars[k] = isSecret ? Buffer.from(String(v), 'base64').toString('utf8') : String(v);
    for (const [k, v] of Object.entries(isSecret ? (obj.stringData ?? {}) : {})) vars[k] = String(v);
    for (const k of [...Object.keys(obj.data ?? {}), ...Object.keys(obj.stringData ?? {})]) {
      if (isSecret) secretNames.add(k);
      else secretNames.delete(k);
    }
  }
  Object.assign(vars, options.substitute ?? {});
  checkVariableNames(vars, '--substitute');
  const postBuild = options.sync?.postBuild ?? (options.substitute || options.substituteFrom ? { vars, secret: secretNames } : undefined);
  const keyFiles = options.keyFiles ?? [];
  const keys = keyFiles.length === 0 ? ('redact' as const) : () => Promise.resolve(keysFromFiles(keyFiles));
  const policy = { ...(options.allowUnbound ? { allowUnbound: true } : {}), ...(options.warn ? { warn: options.warn } : {}) };
  const { components, targetNamespace } = options.sync ?? {};
  const layout = { ...(components ? { components } : {}), ...(targetNamespace ? { targetNamespace } : {}) };
  return renderSync({ files, path: relative(root, options.path).split(sep).join('/'), kustomize: options.kustomize, ...layout, ...(postBuild ? { postBuild } : {}) }, { keys, ...policy });
}

function keysFromFiles(files: readonly { source: string; text: string }[]): DecryptionKeys {
  const entries: Record<string, string> = {};
  files.forEach((f, i) => {
    entries[`${i}-${f.source}${/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(f.text) ? '.pem' : '.agekey'}`] = f.text;
  });
  return loadDecryptionKeys(entries);
}

function repositoryRoot(path: string): string {
  for (let dir = path; ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return path;
  }
}

async function readRepository(root: string): Promise<BuildInput[]> {
  const out: BuildInput[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const full = join(dir, entry.name);
      const rel = relative(root, full).split(sep).join('/');
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) out.push({ path: rel, content: await readFile(full) });
      else if (entry.isSymbolicLink()) {
        const target = await realpath(full).catch(() => undefined);
        if (target === undefined) continue;
        const inside = relative(await realpath(root), target);
        if (inside.startsWith('..') || isAbsolute(inside)) throw new InputError(`failed to read ${rel}: symlink points outside the repository`);
        if ((await stat(target)).isFile()) out.push({ path: rel, content: await readFile(target) });
      }
    }
  };
  await walk(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The objects as a YAML stream (`---` between documents), as `sealops build` prints them. */
export function formatManifests(manifests: readonly Manifest[]): string {
  return manifests.map((m) => stringify(m.object, { lineWidth: 0 })).join('---\n');
}
