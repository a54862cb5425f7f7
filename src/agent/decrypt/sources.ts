/**
 * The sealed files of a repository, indexed by what kustomize carries through unchanged:
 * - a SOPS YAML/JSON document by its `sops.mac` (an AES-GCM ciphertext with a random IV, so it
 *   names one sealing of one document), for sealed objects listed as `resources:`;
 * - each value of a SOPS dotenv by its `ENC[…]` string, for `secretGenerator` `envs:`;
 * - a whole sealed file by the SHA-256 of its bytes, for `secretGenerator` `files:`.
 *
 * Opening a source decrypts the committed file with the format layer (MAC verified), once per
 * file and reconcile, in memory only. Nothing here writes to a file system.
 */
import { createHash } from 'node:crypto';
import { decryptSopsDocuments, unsealSops } from '../../formats/sops/index.js';
import type { BuildInput } from '../../build/index.js';
import { parseDocumentsLinear } from '../../manifest/unique-keys.js';
import { asRecord as rec } from '../../util/record.js';

/** One SOPS YAML/JSON document of the repository. */
export interface SealedDoc {
  readonly file: string;
  /** Index among the file's non-empty documents. */
  readonly index: number;
  /** The document as committed (values still `ENC[…]`). */
  readonly sealed: Record<string, unknown>;
}

/** One SOPS dotenv file: its sealed values and its `sops_*` metadata lines. */
export interface SealedEnv {
  readonly file: string;
  readonly values: ReadonlyMap<string, string>;
  readonly meta: ReadonlyMap<string, string>;
}

/** A sealed file a generator may embed whole. */
export interface SealedFile {
  readonly file: string;
  readonly text: string;
  readonly format: 'yaml' | 'json' | 'dotenv' | 'binary';
}

/** Where each sealed value of the repository comes from. */
export interface SealedIndex {
  readonly docs: ReadonlyMap<string, SealedDoc>;
  readonly envValues: ReadonlyMap<string, { env: SealedEnv; key: string }>;
  readonly wholeFiles: ReadonlyMap<string, SealedFile>;
  readonly files: ReadonlyMap<string, SealedFile>;
}

const ENC_PREFIX = 'ENC[AES256_GCM,';

/** SHA-256 of bytes, base64. */
export function digestBytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64');
}

/**
 * The key/value lines of a dotenv file as kustomize reads them for a generator: blank lines and
 * `#` comments skipped, a UTF-8 BOM dropped, the key left-trimmed, the value taken verbatim after
 * the first `=`. Lines without `=` (kustomize would read the process environment) are skipped:
 * sops never writes them.
 */
export function envLines(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.replace(/^\uFEFF/, '').split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    out.push([line.slice(0, eq).trimStart(), line.slice(eq + 1)]);
  }
  return out;
}

function indexEnv(file: string, text: string, envValues: Map<string, { env: SealedEnv; key: string }>): boolean {
  const values = new Map<string, string>();
  const meta = new Map<string, string>();
  for (const [k, v] of envLines(text)) (k.startsWith('sops_') ? meta : values).set(k, v);
  if (!meta.has('sops_mac')) return false;
  const env: SealedEnv = { file, values, meta };
  for (const [key, v] of values) if (v.startsWith(ENC_PREFIX)) envValues.set(v, { env, key });
  return true;
}

/** Indexes every sealed file among `sources` without decrypting anything. */
export function indexSealedSources(sources: readonly BuildInput[]): SealedIndex {
  const docs = new Map<string, SealedDoc>();
  const envValues = new Map<string, { env: SealedEnv; key: string }>();
  const wholeFiles = new Map<string, SealedFile>();
  const files = new Map<string, SealedFile>();
  for (const src of sources) {
    if (src.content.indexOf(ENC_PREFIX) < 0) continue;
    const text = src.content.toString('utf8');
    let format: SealedFile['format'] | undefined;
    if (/^sops_mac=/m.test(text)) {
      if (indexEnv(src.path, text, envValues)) format = 'dotenv';
    } else {
      let parsed: unknown[] = [];
      try {
        parsed = parseDocumentsLinear(text).map((d) => (d.errors.length ? null : (d.toJS({ maxAliasCount: 100 }) as unknown)));
      } catch {
        parsed = [];
      }
      let index = 0;
      for (const value of parsed) {
        if (value === null || value === undefined) continue;
        const doc = rec(value);
        const mac = rec(doc?.sops)?.mac;
        if (doc && typeof mac === 'string') {
          docs.set(mac, { file: src.path, index, sealed: doc });
          const keys = Object.keys(doc);
          format = keys.length === 2 && typeof doc.data === 'string' ? 'binary' : /^\s*[{[]/.test(text) ? 'json' : 'yaml';
        }
        index++;
      }
    }
    if (format) {
      const entry: SealedFile = { file: src.path, text, format };
      wholeFiles.set(digestBytes(src.content), entry);
      files.set(src.path, entry);
    }
  }
  return { docs, envValues, wholeFiles, files };
}

/** Opens sealed files with the keys; results are kept for the reconcile (and a memo across them). */
export interface SourceOpener {
  /** The plaintext documents of a YAML/JSON file, in the order of its non-empty documents. */
  docs(file: SealedFile): Promise<unknown[]>;
  /** The plaintext values of a dotenv file, as kustomize would read them. */
  env(file: SealedFile): Promise<Map<string, string>>;
  /** The plaintext bytes of a whole file (`sops -d`), as a generator embeds it. */
  whole(file: SealedFile): Promise<Buffer>;
}

/** Memo access: the value of `key`, computed once. */
export type Remember = <T>(key: string, compute: () => Promise<T>) => Promise<T>;

function digestOf(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('base64');
}

/** An opener decrypting with `identities` through the format layer. */
export function sopsOpener(identities: readonly string[], remember: Remember): SourceOpener {
  const ids = [...identities];
  const plain = (f: SealedFile): Promise<string> =>
    remember(digestOf('sops-text', f.file, f.text), () => unsealSops(f.text, { identities: ids, format: f.format, source: f.file }));
  return {
    docs: (f) =>
      remember(digestOf('sops-docs', f.file, f.text), () =>
        decryptSopsDocuments(f.text, { identities: ids, format: f.format === 'json' ? 'json' : 'yaml', source: f.file }),
      ),
    env: async (f) => new Map(envLines(await plain(f))),
    whole: async (f) => Buffer.from(await plain(f), 'utf8'),
  };
}
