/**
 * Post-build variable substitution, with Flux's names and syntax (`spec.postBuild.substitute`,
 * `substituteFrom`): `${var}` and `${var:=default}` in string values of the built objects,
 * `$${var}` for a literal `${var}`; a variable without a value or default becomes empty, as in
 * Flux's default (non-strict) mode. It runs before decryption and never touches a sealed value:
 * `ENC[…]` strings, the `sops` block and a SealedSecret's `encryptedData` are left alone.
 * An object annotated `sealops.dev/substitute: disabled` (or Flux's
 * `kustomize.toolkit.fluxcd.io/substitute: disabled`) is left alone.
 *
 * Substitution works on string values, not on the serialized text (as Flux does), so a value
 * cannot inject YAML structure; a string that was only variables and becomes a number, boolean
 * or null is retyped as it would be in YAML (`replicas: ${replicas}` becomes a number).
 */
import { parse } from 'yaml';
import { InputError } from '../errors.js';
import type { Manifest } from './index.js';

/** The opt-out annotations. */
export const SUBSTITUTE_ANNOTATIONS = ['sealops.dev/substitute', 'kustomize.toolkit.fluxcd.io/substitute'] as const;

/** Variables for one build; `secret` lists the names whose values came from a Secret. */
export interface PostBuildValues {
  readonly vars: Readonly<Record<string, string>>;
  readonly secret?: ReadonlySet<string>;
}

const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*$/;
const EXPR = /\$(\$?)\{([^{}]*)\}/g;

/** Checks variable names as Flux does; throws InputError naming `where`. */
export function checkVariableNames(vars: Readonly<Record<string, string>>, where: string): void {
  for (const name of Object.keys(vars)) {
    if (!NAME.test(name)) throw new InputError(`failed to read ${where}: ${JSON.stringify(name)} is not a valid variable name`);
  }
}

function substituteString(text: string, vars: Readonly<Record<string, string>>): string {
  if (!text.includes('${')) return text;
  return text.replace(EXPR, (whole, escape: string, body: string) => {
    if (escape) return whole.slice(1);
    const m = /^([_a-zA-Z][_a-zA-Z0-9]*)(?::=(.*))?$/s.exec(body);
    // Other shell forms (`${x%%y}` in an embedded script) are left as written.
    if (!m) return whole;
    const value = vars[m[1]!];
    return value !== undefined ? value : (m[2] ?? '');
  });
}

function retype(before: string, after: string): unknown {
  if (after === before || !/^(\$\{[^{}]*\}\s*)+$/.test(before.trim())) return after;
  try {
    const v: unknown = parse(after);
    return typeof v === 'number' || typeof v === 'boolean' || v === null ? v : after;
  } catch {
    return after;
  }
}

function walk(value: unknown, vars: Readonly<Record<string, string>>, skip: (path: string[]) => boolean, path: string[]): unknown {
  if (typeof value === 'string') {
    if (value.startsWith('ENC[AES256_GCM,')) return value;
    return retype(value, substituteString(value, vars));
  }
  if (Array.isArray(value)) return value.map((v, i) => walk(v, vars, skip, [...path, String(i)]));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = skip([...path, k]) ? v : walk(v, vars, skip, [...path, k]);
    return out;
  }
  return value;
}

/** Whether an object opted out of substitution. */
function disabled(m: Manifest): boolean {
  const annotations = (m.object.metadata.annotations ?? {}) as Record<string, unknown>;
  return SUBSTITUTE_ANNOTATIONS.some((a) => annotations[a] === 'disabled');
}

/** Substitutes `values` into every object of `manifests` (a new list; the input is not changed). */
export function substituteManifests(manifests: readonly Manifest[], values: PostBuildValues): Manifest[] {
  return manifests.map((m) => {
    if (disabled(m)) return m;
    const sealedSecret = m.object.kind === 'SealedSecret';
    const skip = (path: string[]): boolean => (path.length === 1 && path[0] === 'sops') || (sealedSecret && path.length === 2 && path[0] === 'spec' && path[1] === 'encryptedData');
    return { ...m, object: walk(m.object, values.vars, skip, []) as Manifest['object'] };
  });
}
