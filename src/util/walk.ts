/**
 * The files of a folder tree that a repository command reads, in a stable order: hidden folders
 * (`.git`, tool folders) and dependency folders are never entered; which files count is the
 * caller's test (a hidden file such as `.env` may).
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Folders never searched besides hidden ones: dependencies. */
const SKIPPED = new Set(['node_modules', 'vendor']);

/** Every regular file under `dir` whose name `accept` takes, sorted by path segment. */
export function* walkFiles(dir: string, accept: (name: string) => boolean): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!entry.name.startsWith('.') && !SKIPPED.has(entry.name)) yield* walkFiles(path, accept);
    } else if (entry.isFile() && accept(entry.name)) yield path;
  }
}
