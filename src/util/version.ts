/**
 * sealops's own version, from its own package.json: the one found walking up from this module,
 * whether it runs from src/ or cli/ (tests), dist/ (the build) or a bundle. `npm_package_version`
 * would name whatever npm project the user happens to run sealops in.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `version` of sealops's package.json, or `unknown` if this copy has none. */
export function ownVersion(from: string = import.meta.url): string {
  let dir = dirname(fileURLToPath(from));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === 'sealops' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: keep walking up
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
