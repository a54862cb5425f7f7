/**
 * Finding the Secrets of a folder for `seal -i --all PATH`: teams adopting sealops on an
 * existing repository seal every plaintext Secret in one run, and files already sealed are
 * left exactly as they are.
 */
import { basename, relative, resolve } from 'node:path';
import { SealopsError } from '../errors.js';
import { detectFormat, isSealableName, isSealedSecretText, readInputFile, type Input } from '../formats/index.js';
import { isSopsEncrypted } from '../formats/sops/index.js';
import { readDocuments } from '../manifest/parse.js';
import { isKubernetesSecret, listItems } from '../manifest/secret.js';
import { walkFiles } from '../util/walk.js';

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
function manifestFiles(dir: string): Generator<string> {
  return walkFiles(dir, (name) => !name.startsWith('.') && MANIFEST.test(name));
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
      if (!docs.some((d) => listItems(d).some(isKubernetesSecret))) continue;
      if (docs.some(isSopsEncrypted)) out.sealed.push(file);
      else out.plaintext.push(input);
    } catch (err) {
      if (!(err instanceof SealopsError)) throw err;
      out.unreadable.push({ file, reason: err.message });
    }
  }
  return out;
}

/** A temp file of {@link replaceFile}: `.<name>.<12 hex>.tmp`. */
const LEFTOVER = /^\..+\.[0-9a-f]{12}\.tmp$/;
/** The SOPS metadata of each store, at the start of a line: cheap enough to test every file. */
const SOPS_MARK = /^(sops:|\s*"sops"\s*:|sops_(mac|lastmodified|version)=|\[sops\])/m;

/**
 * The files under `root` (relative to `cwd`) that may carry sealed content (`rekey --all`,
 * `rotate --all`), by name only, nothing opened: manifests, the other stores SOPS writes, and
 * temp files left by an interrupted write ({@link isLeftover}). {@link sealedKind} sorts each.
 */
export function sealedCandidates(root: string, cwd: string): string[] {
  return [...walkFiles(resolve(cwd, root), (name) => LEFTOVER.test(name) || isSealableName(name))];
}

/** True for a temp file a killed atomic write left behind (see replaceFile). */
export function isLeftover(path: string): boolean {
  return LEFTOVER.test(basename(path));
}

/**
 * What sealed content a text carries: a SOPS file of any store, a SealedSecret, or none. A file
 * that merely mentions sops in a comment or a value is not taken for sealed: the metadata must
 * open a line.
 */
export function sealedKind(text: string): 'sops' | 'sealedsecret' | undefined {
  if (isSealedSecretText(text)) return 'sealedsecret';
  return SOPS_MARK.test(text) ? 'sops' : undefined;
}
