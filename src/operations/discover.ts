/**
 * Finding the Secrets of a folder for `seal -i --all PATH`: teams adopting sealops on an
 * existing repository seal every plaintext Secret in one run, and files already sealed are
 * left exactly as they are.
 */
import { readdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { SealopsError } from '../errors.js';
import { detectFormat, readInputFile, type Input } from '../formats/index.js';
import { isSopsEncrypted } from '../formats/sops/index.js';
import { readDocuments } from '../manifest/parse.js';
import { isKubernetesSecret } from '../manifest/secret.js';
import { isRecord } from '../util/record.js';

/** What a folder holds: plaintext Secret files to seal, sealed ones, and files that could not be judged. */
export interface SecretFiles {
  /** Files holding a plaintext Secret, read and ready to seal. */
  readonly plaintext: Input[];
  /** Files whose Secrets are already sealed (SOPS) or that are SealedSecrets. */
  readonly sealed: string[];
  /** Manifests that could not be read (named with the reason; never content). */
  readonly unreadable: { readonly file: string; readonly reason: string }[];
}

const MANIFEST = /\.(ya?ml|json)$/i;
/** Folders never searched: version control, dependencies, and hidden tool folders. */
const SKIPPED = new Set(['node_modules', 'vendor']);

function* manifestFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* manifestFiles(path);
    else if (entry.isFile() && MANIFEST.test(entry.name)) yield path;
  }
}

function secretsOf(doc: unknown): unknown[] {
  if (isRecord(doc) && doc.kind === 'List' && Array.isArray(doc.items)) return doc.items as unknown[];
  return [doc];
}

/** Sorts every manifest under `root` (relative to `cwd`) into plaintext Secrets, sealed files and unreadable ones. */
export function findSecretFiles(root: string, cwd: string): SecretFiles {
  const out: SecretFiles = { plaintext: [], sealed: [], unreadable: [] };
  for (const path of manifestFiles(resolve(cwd, root))) {
    const file = relative(cwd, path) || path;
    try {
      const input = readInputFile(file, cwd);
      if (!/\bSecret\b/.test(input.text)) continue;
      if (detectFormat(input).kind === 'sealedsecret') {
        out.sealed.push(file);
        continue;
      }
      const docs = readDocuments(input.text, file);
      if (!docs.some((d) => secretsOf(d).some(isKubernetesSecret))) continue;
      if (docs.some(isSopsEncrypted)) out.sealed.push(file);
      else out.plaintext.push(input);
    } catch (err) {
      if (!(err instanceof SealopsError)) throw err;
      out.unreadable.push({ file, reason: err.message });
    }
  }
  return out;
}
