/**
 * Replacing files atomically: the new content goes to a temp file beside the old one, is
 * flushed when asked, and is renamed over it, so a crash leaves the old file or the new one,
 * never half of either.
 *
 * Bulk runs (`rekey --all`, `rotate --all`) replace a thousand files, and creating an inode is
 * the dearest step of a write on many file systems (0.5 ms of kernel time on this project's ext4
 * machines, 50 times an open). A {@link SpareInodes} pool lets such a run create almost none:
 * before a file is replaced, its old inode is kept under a temp name (a hard link), and the next
 * file's new content is written into it. Only old content that may be left in a temp file
 * (sealed, never plaintext) may go through a pool.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fdatasyncSync, fstatSync, ftruncateSync, linkSync, mkdirSync, openSync, realpathSync, renameSync, statSync, unlinkSync, writeSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { IoError, describe } from '../errors.js';

/** Options of {@link replaceFile}. */
export interface ReplaceOptions {
  /**
   * Flush the new content to disk before the rename (fdatasync), so that even a power loss
   * leaves the old file or the complete new one. Bulk rewrites of a repository ask for it.
   */
  readonly durable?: boolean;
  /** Create the file's folder when it is missing (a new file of a fleet seal). */
  readonly createFolder?: boolean;
  /**
   * Reuse old inodes of the same run for temp files (see {@link SpareInodes}). Only where the
   * content being replaced is sealed: a crash can leave it behind in a temp file.
   */
  readonly spares?: SpareInodes;
}

/** Numbers temp names: random per thread, then counted (a random draw per name costs more than the rest of the name). */
let tempSeq = randomBytes(6).readUIntBE(0, 6);

/**
 * The temp name of a write beside `path`: `.<name>.<12 hex>.tmp` (what discovery finds as a
 * leftover). Unique, not secret: every temp file is created exclusively (`wx`, or a hard link,
 * which never follows a planted symlink).
 */
function tempBeside(path: string): string {
  tempSeq = (tempSeq + 1) % 2 ** 48;
  return join(dirname(path), `.${basename(path)}.${tempSeq.toString(16).padStart(12, '0')}.tmp`);
}

/**
 * Old inodes of replaced files, kept under temp names to be written again (the
 * {@link replaceFile} `spares` option). One pool per thread of a run; {@link dispose} removes
 * what is left when the run ends. A rerun after a crash finds any spare as a leftover temp file.
 */
export class SpareInodes {
  private readonly free: { path: string; dev: number }[] = [];
  private readonly uid = process.geteuid?.();
  private readonly gid = process.getegid?.();

  /** A spare on device `dev`, taken out of the pool. */
  take(dev: number): string | undefined {
    const i = this.free.findIndex((s) => s.dev === dev);
    return i < 0 ? undefined : this.free.splice(i, 1)[0]?.path;
  }

  /**
   * Keeps the inode of `path` (described by `st`) under a temp name, when writing into it later
   * can change nothing but that temp file: its only name (another hard link would see the
   * writes) and owned by this process, as a new file would be (so no other user reads it).
   * Returns the temp name, to {@link add} once `path` is replaced, or undefined.
   */
  hold(path: string, st: Stats): string | undefined {
    if (this.uid === undefined || st.nlink !== 1 || st.uid !== this.uid || st.gid !== this.gid || !st.isFile()) return undefined;
    const spare = tempBeside(path);
    try {
      linkSync(path, spare);
      return spare;
    } catch {
      // No hard links here (some network and FUSE file systems): a plain write it is.
      return undefined;
    }
  }

  /** Puts a held inode into the pool. */
  add(spare: string, dev: number): void {
    this.free.push({ path: spare, dev });
  }

  /** Removes every spare left; best effort (a rerun removes any it missed as a leftover). */
  dispose(): void {
    for (const { path } of this.free.splice(0)) removeQuietly(path);
  }
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone already, or a leftover for the next run to remove
  }
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** Writes all of `bytes` at the start of `fd` (a write may take only part). */
function writeAll(fd: number, bytes: Buffer): void {
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at, at);
}

/** Opens a spare for writing from scratch; undefined when it is gone or no longer a plain file. */
function openSpare(spare: string): number | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(spare, constants.O_RDWR | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    // Truncated after the write, to the new length: truncating to zero first frees the old
    // blocks only to allocate them again (0.15 ms on ext4, more than the write).
    if (st.isFile() && st.nlink === 1) return fd;
  } catch {
    // fall through: a fresh temp file instead
  }
  if (fd !== undefined) closeSync(fd);
  return undefined;
}

/**
 * Replaces a file atomically: the new content goes to a temp file beside it (same mode, named
 * `.<name>.<12 hex>.tmp`), which is then renamed over the original, so a crash leaves the old
 * file or the new one, never half.
 */
export function replaceFile(file: string, content: string | Buffer, options: ReplaceOptions = {}): void {
  // A symlink is followed: renaming over the link itself would turn it into a regular file and
  // leave the plaintext it pointed to where it was.
  const path = realPath(file);
  const old = statOrUndefined(path);
  const mode = old ? old.mode & 0o777 : 0o644;
  const { spares } = options;
  let tmp: string | undefined;
  let held: string | undefined;
  try {
    if (options.createFolder) mkdirSync(dirname(path), { recursive: true });
    // Synchronous, the flush included: a trip through the thread pool costs more CPU than the
    // call itself (measured: 10% of a bulk run), and a bulk run gets its parallelism from threads.
    // Flushing a reused inode rewrites blocks already allocated, which is quick.
    const spare = old ? spares?.take(old.dev) : undefined;
    let fd = spare === undefined ? undefined : openSpare(spare);
    if (fd === undefined && spare !== undefined) removeQuietly(spare);
    const temp = fd === undefined || spare === undefined ? tempBeside(path) : spare;
    tmp = temp;
    fd ??= openSync(temp, 'wx', mode);
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      writeAll(fd, bytes);
      if (spare !== undefined) ftruncateSync(fd, bytes.length);
      fchmodSync(fd, mode);
      if (options.durable) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    held = old && spares?.hold(path, old);
    renameSync(temp, path);
    tmp = undefined;
    if (held !== undefined && old) spares?.add(held, old.dev);
  } catch (err) {
    if (tmp !== undefined) removeQuietly(tmp);
    if (held !== undefined) removeQuietly(held);
    throw new IoError(`failed to write ${path}: ${describe(err)}`, { cause: err });
  }
}

function realPath(file: string): string {
  try {
    return realpathSync.native(file);
  } catch {
    return file;
  }
}

/** Flushes a folder's entries (renames into it) to disk; best effort where a folder cannot be opened. */
export async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
