/**
 * Install paths that need no cluster, from a clean clone: the real `pre-commit` (PyPI) installing
 * the `sealops-guard` hook with `try-repo` and judging commits, and `npm pack` contents.
 * Needs `pre-commit` on PATH (.ci/run installs it) and the npm registry (the hook builds once).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanCheckout, repoRoot } from '../support/checkout.js';
import { gitEnv } from '../support/git-servers.js';

function which(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

describe('pre-commit try-repo of a clean clone', () => {
  let clone: ReturnType<typeof cleanCheckout>;
  let work: string;
  beforeAll(() => {
    if (!which('pre-commit')) throw new Error('failed to find pre-commit on PATH: pip install pre-commit (.ci/run does)');
    clone = cleanCheckout();
    work = mkdtempSync(join(tmpdir(), 'sealops-precommit-'));
    execFileSync('git', ['init', '-q', '-b', 'main', join(work, 'app')], { env: gitEnv() });
  });
  afterAll(() => {
    clone?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  function tryRepo(): { status: number; output: string } {
    // Its own PRE_COMMIT_HOME: the hook is installed (and built) from nothing, as a new user's would be.
    const env = { ...gitEnv(), PRE_COMMIT_HOME: join(work, 'pre-commit-home'), npm_config_cache: process.env.npm_config_cache ?? join(process.env.HOME ?? work, '.npm') };
    const res = spawnSync('pre-commit', ['try-repo', clone.dir, 'sealops-guard', '--ref', clone.commit], { cwd: join(work, 'app'), env, encoding: 'utf8', timeout: 600_000 });
    return { status: res.status ?? -1, output: `${res.stdout}${res.stderr}` };
  }

  it('installs the hook and blocks a staged plaintext Secret, naming the file and the fix', () => {
    writeFileSync(join(work, 'app', 'db.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: c0rrect-h0rse-battery\n');
    execFileSync('git', ['add', 'db.yaml'], { cwd: join(work, 'app'), env: gitEnv() });
    const res = tryRepo();
    expect(res.status, res.output).toBe(1);
    expect(res.output).toContain('sealops guard');
    expect(res.output).toMatch(/db\.yaml:6:\d+: finding: secret-plaintext-stringdata/);
    expect(res.output).toContain('fix: sealops seal --in-place db.yaml');
    expect(res.output).not.toContain('c0rrect-h0rse-battery');
  }, 900_000);

  it('passes once the Secret is gone from the index', () => {
    execFileSync('git', ['rm', '-q', '--cached', 'db.yaml'], { cwd: join(work, 'app'), env: gitEnv() });
    writeFileSync(join(work, 'app', 'cm.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: fast\n');
    execFileSync('git', ['add', 'cm.yaml'], { cwd: join(work, 'app'), env: gitEnv() });
    const res = tryRepo();
    expect(res.status, res.output).toBe(0);
    expect(res.output).toMatch(/sealops guard.*Passed/);
  }, 900_000);
});

describe('npm pack', () => {
  it('ships the CLI, library, deploy/, LICENSE and keys.example, and no test code', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'keys.example', 'README.md', 'dist/cli/sealops.js', 'dist/src/index.js', 'deploy/kustomization.yaml', '.pre-commit-hooks.yaml']));
    expect(files.filter((f) => /(^|\/)test\/|\.test\.|(^|\/)bench\//.test(f))).toEqual([]);
  });
});
