/**
 * Files of the format layer: reading an input (a FILE, or bytes from stdin) as UTF-8 text under
 * the size cap, and writing results back in place (atomically: replace.ts).
 */
import { isUtf8 } from 'node:buffer';
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { InputError, IoError, describe } from '../errors.js';
import { checkManifestSize, DEFAULT_MAX_MANIFEST_BYTES } from '../manifest/parse.js';
import { replaceFile } from './replace.js';

/** One input: its text, how messages name it, and its absolute path (undefined for stdin). */
export interface Input {
  readonly text: string;
  readonly bytes: Buffer;
  readonly source: string;
  readonly path?: string;
}

/** The name messages use for standard input. */
export const STDIN_SOURCE = '<stdin>';

const SEALABLE = /\.(ya?ml|json|env|ini)$/i;
const DOTENV = /^\.env(\..+)?$/i;

/**
 * Whether a repository walk reads a file of this name as possibly sealed: manifests and the
 * other stores SOPS writes (dotenv, INI); of hidden files only `.env…`.
 */
export function isSealableName(name: string): boolean {
  return DOTENV.test(name) || (!name.startsWith('.') && SEALABLE.test(name));
}

/** An input from bytes already read (stdin): refused over the size cap or when not UTF-8. */
export function inputFromBytes(bytes: Buffer, source = STDIN_SOURCE): Input {
  if (bytes.length > DEFAULT_MAX_MANIFEST_BYTES) {
    throw new InputError(`failed to read ${source}: ${bytes.length} bytes is over the ${DEFAULT_MAX_MANIFEST_BYTES}-byte cap`);
  }
  return { text: utf8Text(bytes, source), bytes, source };
}

/** Reads FILE (relative to `cwd`); refuses files over the size cap before reading them. */
export function readInputFile(file: string, cwd: string): Input {
  const path = resolve(cwd, file);
  try {
    // Synchronous on purpose: each async call is a thread-pool round trip (0.1-0.2 ms on a busy
    // machine), more than reading a manifest takes.
    const st = statSync(path);
    if (!st.isFile()) throw new InputError(`failed to read ${file}: not a regular file`);
    checkManifestSize(st.size, file);
    const bytes = readFileSync(path);
    return { text: utf8Text(bytes, file), bytes, source: file, path };
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new IoError(`failed to read ${file}: ${code === 'ENOENT' ? 'no such file' : describe(err)}`, { cause: err });
  }
}

/**
 * The input as text. Bytes that are not UTF-8 would decode to U+FFFD and be sealed (or written
 * back in place) that way, losing the original for good, so they are refused.
 */
function utf8Text(bytes: Buffer, source: string): string {
  if (!isUtf8(bytes)) {
    throw new InputError(`failed to read ${source}: it is not UTF-8 text`, {
      hint: 'sealops seals UTF-8 text only (also with --input-type binary); convert the file, or base64-encode it into a Secret data value',
    });
  }
  return bytes.toString('utf8');
}

/** One result of a bulk operation: the input and what replaces it. */
export interface FileResult {
  readonly input: Input;
  readonly output: string | Buffer;
  /**
   * Set for one SealedSecret of a fleet seal (operations/fleet.ts): `input.path` is then the
   * per-cluster file to write, always written (also without --in-place), never the source.
   */
  readonly fleet?: { readonly cluster: string };
}

/**
 * Writes every result back over its input (results without a path are skipped). Call it only
 * after every input succeeded, so a failure leaves all files as they were.
 */
export function writeInPlace(results: readonly FileResult[]): void {
  for (const r of results) if (r.input.path !== undefined) replaceFile(r.input.path, r.output, { createFolder: r.fleet !== undefined });
}
