/**
 * What `npm pack` would publish: the library, the CLI and the deploy files, never a test (the
 * build also compiles test/cluster and test/support for the demo and the benchmarks).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

describe('the npm package', () => {
  it('lists the built CLI and library and no test file', () => {
    if (!existsSync(`${root}dist/cli/sealops.js`)) throw new Error('dist/ is missing: run npm run build first');
    // --ignore-scripts: the prepare script would rebuild; the list is what matters here.
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/cli/sealops.js');
    expect(files).toContain('dist/src/index.js');
    expect(files).toContain('deploy/crd-sync.yaml');
    expect(files.filter((p) => /(^|\/)test\/|\.test\.|\.int\./.test(p))).toEqual([]);
  });
});
