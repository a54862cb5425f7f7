/**
 * A clean clone of this checkout as it is now: a fresh git repository holding every tracked and
 * untracked-but-not-ignored file (so work not yet committed is what gets tested), with no
 * node_modules and no dist/. Install paths are tested from one, the way a new user meets them.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, lstatSync, readlinkSync, symlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gitEnv } from './git-servers.js';

/** Root of this checkout. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** A clean clone in a temp folder; `remove()` deletes it. */
export function cleanCheckout(prefix = 'sealops-clone-'): { dir: string; commit: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: repoRoot, env: gitEnv() })
    .toString('utf8')
    .split('\0')
    .filter(Boolean);
  for (const f of files) {
    const from = join(repoRoot, f);
    let st;
    try {
      st = lstatSync(from);
    } catch {
      continue; // deleted in the working tree
    }
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(from), join(dir, f));
    else copyFileSync(from, join(dir, f));
  }
  const env = gitEnv();
  execFileSync('git', ['init', '-q', '-b', 'main'], { cwd: dir, env });
  execFileSync('git', ['add', '-A'], { cwd: dir, env });
  execFileSync('git', ['commit', '-qm', 'clean clone'], { cwd: dir, env });
  const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, env }).toString().trim();
  return { dir, commit, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
