/**
 * What the sops-side commands share: reading FILE or stdin, writing stdout or in place without
 * ever leaving a half-written file, and loading identities from -k or the environment.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { chmod, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { checkManifestSize, checkSealedSize, DEFAULT_MAX_MANIFEST_BYTES, InputError, IoError, KeyError, UsageError, describe, loadAgeIdentities } from '../../src/index.js';
import { readAll, type CliIo } from '../io.js';

/** One input: its text, how messages name it, and its absolute path (undefined for stdin). */
export interface Input {
  text: string;
  bytes: Buffer;
  source: string;
  path?: string;
}

/** Reads FILE, or stdin for `-`; refuses files over the size cap before reading them. */
export async function readInput(file: string | undefined, io: CliIo): Promise<Input> {
  if (file === undefined || file === '-') {
    const bytes = await readAll(io.stdin);
    if (bytes.length > DEFAULT_MAX_MANIFEST_BYTES) {
      throw new InputError(`failed to read <stdin>: ${bytes.length} bytes is over the ${DEFAULT_MAX_MANIFEST_BYTES}-byte cap`);
    }
    return { text: utf8Text(bytes, '<stdin>'), bytes, source: '<stdin>' };
  }
  const path = resolve(io.cwd, file);
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

/** Checks the FILE list against `--in-place`: several files or stdin need the right mode. */
export function checkFiles(files: string[], inPlace: boolean | undefined): (string | undefined)[] {
  if (inPlace && (files.length === 0 || files.includes('-'))) throw new UsageError('failed to parse arguments: --in-place needs FILE arguments, not stdin');
  if (!inPlace && files.length > 1) {
    throw new UsageError('failed to parse arguments: several FILEs need --in-place', { hint: 'or run the command once per file' });
  }
  return files.length === 0 ? [undefined] : files;
}

/**
 * Replaces a file atomically: the new content goes to a temp file beside it (same mode), which
 * is then renamed over the original, so a crash leaves the old file or the new one, never half.
 */
export async function replaceFile(file: string, content: string | Buffer): Promise<void> {
  // A symlink is followed: renaming over the link itself would turn it into a regular file and
  // leave the plaintext it pointed to where it was.
  const path = await realpath(file).catch(() => file);
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  let mode = 0o644;
  try {
    mode = (await stat(path)).mode & 0o777;
  } catch {
    // a new file keeps the default mode
  }
  try {
    await writeFile(tmp, content, { mode, flag: 'wx' });
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw new IoError(`failed to write ${path}: ${describe(err)}`, { cause: err });
  }
}

/** Writes results: all in place (only after every input succeeded), or the single one to stdout. */
export async function writeOutputs(results: { input: Input; output: string | Buffer }[], inPlace: boolean | undefined, io: CliIo): Promise<void> {
  // Every output must be readable again by every command: checked for all before writing any.
  for (const r of results) checkSealedSize(r.output, r.input.source);
  if (inPlace) {
    // Renaming over an existing file makes ext4 flush the new one first (~1 ms); eight at a time
    // overlap those waits, which halves the time of 1,000 files. After a failure no further file
    // is started, and every write already started settles before this returns.
    const todo = results.filter((r): r is { input: Input & { path: string }; output: string | Buffer } => r.input.path !== undefined);
    let next = 0;
    let failed = false;
    const worker = async (): Promise<void> => {
      while (!failed && next < todo.length) {
        const r = todo[next++]!;
        await replaceFile(r.input.path, r.output).catch((err: unknown) => {
          failed = true;
          throw err;
        });
      }
    };
    const settled = await Promise.allSettled(Array.from({ length: Math.min(8, todo.length) }, worker));
    const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (rejected) throw rejected.reason;
    return;
  }
  for (const r of results) io.stdout.write(r.output);
}

/** Loads identities from `-k` files or the environment; KeyError when there are none at all. */
export async function identitiesFor(keyFiles: string[] | undefined, io: CliIo, required = true): Promise<string[]> {
  const loaded = await loadAgeIdentities({ keyFiles, env: io.env, cwd: io.cwd });
  if (required && loaded.identities.length === 0) {
    throw new KeyError('failed to find a key: no -k FILE and no key in the environment', {
      hint: 'pass -k FILE, or set SEALOPS_KEY_FILE, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY',
    });
  }
  return loaded.identities;
}

/**
 * Maps `items` through `fn` with at most `limit` running at once, results in input order, so
 * file reads and age's asynchronous WebCrypto calls of several files overlap.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
