/**
 * kustomize `secretGenerator`: `literals` hold values in the kustomization itself, and `envs` /
 * `files` name files whose content becomes Secret data. A literal is plaintext unless it is a
 * placeholder; a named file must be SOPS-sealed (Flux's kustomize-controller decrypts it before
 * the build). The named files are read by the caller from the same source (index, tree or
 * commit), because the kustomization and its files land together.
 */
import { posix } from 'node:path';
import { isMap, isScalar, type Document } from 'yaml';
import type { RawFinding } from '../findings.js';
import { isPlaceholder } from './placeholder.js';
import { sealedState } from './sops.js';
import { pairOf, seqOf, stringOf } from './yaml-nodes.js';

/** A file a secretGenerator reads, to be judged once its content is fetched. */
export interface GeneratorRef {
  /** Path of the file, relative to the repository top (resolved from the kustomization). */
  readonly target: string;
  /** Offset of the list entry in the kustomization. */
  readonly offset: number;
  /** `envs` (KEY=value lines) or `files` (whole file is one value). */
  readonly kind: 'envs' | 'files';
  readonly generator: string;
}

/** The file names kustomize reads as a kustomization. */
export const KUSTOMIZATION_NAMES: readonly string[] = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** True when the file name is one kustomize reads as a kustomization. */
export function isKustomizationPath(path: string): boolean {
  return KUSTOMIZATION_NAMES.includes(posix.basename(path));
}

/**
 * Judges the secretGenerators of a kustomization document at `path`: literal findings now, and
 * the files they name as {@link GeneratorRef}s for {@link judgeGeneratorFile}.
 */
export function checkKustomization(path: string, doc: Document.Parsed): { findings: RawFinding[]; refs: GeneratorRef[] } {
  const findings: RawFinding[] = [];
  const refs: GeneratorRef[] = [];
  const root = doc.contents;
  if (!isMap(root)) return { findings, refs };
  const dir = posix.dirname(path);
  for (const gen of seqOf(root, 'secretGenerator', doc)?.items ?? []) {
    if (!isMap(gen)) continue;
    const name = stringOf(gen, 'name', doc) ?? '(unnamed)';
    for (const item of seqOf(gen, 'literals', doc)?.items ?? []) {
      if (!isScalar(item) || typeof item.value !== 'string') continue;
      const eq = item.value.indexOf('=');
      const key = eq < 0 ? item.value : item.value.slice(0, eq);
      const value = eq < 0 ? '' : unquote(item.value.slice(eq + 1));
      if (isPlaceholder(value)) continue;
      const at = item.range?.[0] ?? 0;
      findings.push({ rule: 'kustomize-literal', offset: at, message: `secretGenerator ${name}: literal ${key} is a plaintext value in the kustomization`, subject: value, span: [at, item.range?.[1] ?? at] });
    }
    for (const kind of ['envs', 'env', 'files'] as const) {
      // `env` (singular, older kustomize) names one file; `envs` and `files` are lists.
      const entries = kind !== 'env' ? (seqOf(gen, kind, doc)?.items ?? []) : stringOf(gen, 'env', doc) !== undefined ? [pairOf(gen, 'env')?.value] : [];
      for (const item of entries) {
        if (!isScalar(item) || typeof item.value !== 'string') continue;
        // files entries may be `key=path`; envs entries are paths.
        const file = kind === 'files' && item.value.includes('=') ? item.value.slice(item.value.indexOf('=') + 1) : item.value;
        const target = posix.normalize(posix.join(dir, file));
        if (target.startsWith('../') || posix.isAbsolute(file) || /^[a-z]+:\/\//.test(file)) continue;
        refs.push({ target, offset: item.range?.[0] ?? 0, kind: kind === 'files' ? 'files' : 'envs', generator: name });
      }
    }
  }
  return { findings, refs };
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && (t[0] === '"' || t[0] === "'") && t.at(-1) === t[0] ? t.slice(1, -1) : t;
}

/** Judges the content of a file a secretGenerator reads; undefined when it is sealed or holds no value. */
export function judgeGeneratorFile(ref: GeneratorRef, content: Buffer): RawFinding | undefined {
  const text = content.toString('utf8');
  const state = sealedState(text);
  if (state === 'sealed') return undefined;
  if (ref.kind === 'envs') {
    const values = text.split(/\r?\n/).filter((l) => {
      const t = l.trim();
      if (t === '' || t.startsWith('#')) return false;
      const eq = t.indexOf('=');
      return eq >= 0 && !isPlaceholder(unquote(t.slice(eq + 1)));
    });
    if (values.length === 0) return undefined;
  } else if (isPlaceholder(text)) {
    return undefined;
  }
  const how = state === 'partly' ? 'is only partly sealed' : 'is not sealed';
  return {
    rule: 'kustomize-unsealed-file',
    offset: ref.offset,
    message: `secretGenerator ${ref.generator}: ${ref.kind} file ${ref.target} ${how}; its content becomes Secret data`,
    subject: content,
  };
}
