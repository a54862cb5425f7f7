/**
 * The files of a folder tree that a repository command reads, in a stable order: hidden entries
 * (`.git`, tool folders) and dependency folders are never entered.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Folders never searched besides hidden ones: dependencies. */
const SKIPPED = new Set(['node_modules', 'vendor']);

/** Every regular file under `dir` whose name matches `name`, sorted by path segment. */
export function* walkFiles(dir: string, name: RegExp): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.') || SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walkFiles(path, name);
    else if (entry.isFile() && name.test(entry.name)) yield path;
  }
}
