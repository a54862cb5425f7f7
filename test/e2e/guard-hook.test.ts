/**
 * The guard end to end: real temporary git repositories, the hook installed by
 * `sealops hook install` (running the built CLI, dist/cli/sealops.js: `npm run build` first),
 * and real `git commit` calls. A commit is blocked when git refuses it and HEAD does not move.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanGitEnv, plainSecret, randomChars, sampleTokens, tempRepo, type TempRepo } from '../scan/samples.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = `${root}dist/cli/sealops.js`;
const fixture = (p: string) => readFileSync(new URL(`../scan/fixtures/clean/${p}`, import.meta.url), 'utf8');

let repo: TempRepo | undefined;
afterEach(() => repo?.remove());

function sealops(r: TempRepo, args: string[]): { status: number; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [cli, ...args], { cwd: r.dir, env: cleanGitEnv(), encoding: 'utf8' });
  return { status: res.status ?? -1, stdout: res.stdout, stderr: res.stderr };
}

/** A repository with one clean commit and the guard installed. */
function guarded(): TempRepo {
  const r = tempRepo('sealops-e2e-');
  r.write('README.md', '# app\n');
  r.git(['add', '.']);
  r.git(['commit', '-qm', 'init']);
  const install = sealops(r, ['hook', 'install']);
  expect(install.status, install.stderr).toBe(0);
  return r;
}

function head(r: TempRepo): string {
  return r.git(['rev-parse', 'HEAD']).trim();
}

/** Runs `git commit ARGS`; returns whether it went through and what the hook printed. */
function commit(r: TempRepo, args: string[]): { ok: boolean; output: string } {
  const before = head(r);
  const res = r.tryGit(['commit', '-m', 'change', ...args]);
  const ok = res.status === 0;
  expect(head(r) !== before).toBe(ok);
  return { ok, output: res.output };
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`failed to find ${cli}: run npm run build first`);
});

describe('the installed pre-commit hook', () => {
  const tokens = sampleTokens();
  const sealed = fixture('sops/flux-age.yaml');
  const kubesealed = fixture('sealedsecret/db-sealed.yaml');

  const cases: { name: string; files: Record<string, string>; blocked: boolean; rule?: string }[] = [
    { name: 'a plaintext stringData Secret', files: { 'db.yaml': plainSecret('db', 'password', randomChars(12)) }, blocked: true, rule: 'secret-plaintext-stringdata' },
    { name: 'a base64 data Secret', files: { 'db.yaml': `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: ${Buffer.from(randomChars(12)).toString('base64')}\n` }, blocked: true, rule: 'secret-plaintext-data' },
    { name: 'a Secret inside a JSON List', files: { 'all.json': JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { k: randomChars(12) } }] }) }, blocked: true, rule: 'secret-plaintext-stringdata' },
    { name: 'a partly sealed SOPS Secret', files: { 's.yaml': sealed.replace(/( {2}key: ENC\[.*\]\n)/, `$1  added: ${randomChars(12)}\n`) }, blocked: true, rule: 'sops-unencrypted-value' },
    { name: 'a SOPS file with its MAC removed', files: { 's.yaml': sealed.replace(/^ {2}mac: .*\n/m, '') }, blocked: true, rule: 'sops-mac' },
    { name: 'a SOPS-sealed Secret', files: { 's.yaml': sealed }, blocked: false },
    { name: 'a SealedSecret from kubeseal', files: { 'ss.yaml': kubesealed }, blocked: false },
    { name: 'a kustomize literal', files: { 'kustomization.yaml': `secretGenerator:\n  - name: db\n    literals: [password=${randomChars(12)}]\n` }, blocked: true, rule: 'kustomize-literal' },
    { name: 'a plaintext env file named by a secretGenerator', files: { 'app/kustomization.yaml': 'secretGenerator:\n  - name: db\n    envs: [db.env]\n', 'app/db.env': `PASSWORD=${randomChars(12)}\n` }, blocked: true, rule: 'kustomize-unsealed-file' },
    { name: 'a sealed env file named by a secretGenerator', files: { 'app/kustomization.yaml': fixture('sops/flux-envs/kustomization.yaml'), 'app/env.env': fixture('sops/flux-envs/env.env') }, blocked: false },
    { name: 'an age secret key', files: { 'keys.txt': `# created: 2026\n${tokens['age-secret-key']}\n` }, blocked: true, rule: 'age-secret-key' },
    { name: 'a PEM private key', files: { 'tls.key': tokens['private-key']! }, blocked: true, rule: 'private-key' },
    { name: 'a GitHub token in source code', files: { 'src/ci.ts': `export const token = '${tokens['github-token']}';\n` }, blocked: true, rule: 'github-token' },
    { name: 'a Slack webhook in a ConfigMap', files: { 'cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  url: ${tokens['slack-webhook']}\n` }, blocked: true, rule: 'slack-webhook' },
    { name: 'a .yaml that is not YAML', files: { 'broken.yaml': 'a: [1, 2\nb: }\n' }, blocked: true, rule: 'parse-error' },
    { name: 'a Secret allowed by a sealops:allow comment', files: { 'db.yaml': plainSecret('db', 'password', randomChars(12)).replace('stringData:', '# sealops:allow reviewed test fixture\nstringData:').replace(/\n {2}password/, ' # sealops:allow\n  password') }, blocked: false },
    { name: 'a Secret manifest in a file with no manifest extension', files: { 'deploy/secret.txt': plainSecret('db', 'password', randomChars(14)) }, blocked: true, rule: 'secret-plaintext-stringdata' },
    { name: 'a literal value in a Secret of a Helm template', files: { 'chart/templates/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\nstringData:\n  password: ${randomChars(14)}\n` }, blocked: true, rule: 'secret-plaintext-stringdata' },
    { name: 'a Helm template Secret whose values are template expressions', files: { 'chart/templates/secret.yaml': fixture('manifests/chart/templates/secret.yaml') }, blocked: false },
    { name: 'ordinary manifests and docs that say password', files: { 'deploy.yaml': fixture('manifests/deployment.yaml'), 'cm.yaml': fixture('manifests/configmap.yaml'), 'docs/ops.md': fixture('docs/operations.md') }, blocked: false },
  ];

  for (const c of cases) {
    it(`${c.blocked ? 'blocks' : 'allows'} ${c.name}`, () => {
      repo = guarded();
      for (const [p, text] of Object.entries(c.files)) repo.write(p, text);
      repo.git(['add', '.']);
      const res = commit(repo, []);
      expect(res.ok, res.output).toBe(!c.blocked);
      if (c.rule) expect(res.output).toContain(c.rule);
      for (const text of Object.values(c.files)) {
        // No value of a blocked file is echoed: check every long token-like word of it.
        for (const word of text.match(/[A-Za-z0-9_+/=-]{12,}/g) ?? []) if (c.blocked && !/^(?:ENC|AES256|apiVersion|secretGenerator)/.test(word)) expect(res.output).not.toContain(word);
      }
    });
  }

  it('blocks a plaintext Secret padded past the size cap, naming the file and not the value', () => {
    repo = guarded();
    const value = randomChars(14);
    repo.write('big.yaml', plainSecret('db', 'password', value) + `# ${'x'.repeat(10 * 1024 * 1024)}\n`);
    repo.git(['add', '.']);
    const res = commit(repo, []);
    expect(res.ok).toBe(false);
    expect(res.output).toMatch(/big\.yaml.*file-too-large|file-too-large.*big\.yaml/s);
    expect(res.output.includes(value)).toBe(false);
  });

  it('allows a finding whose fingerprint is listed in .sealopsignore, and blocks it again when the value changes', () => {
    repo = guarded();
    repo.write('db.yaml', plainSecret('db', 'password', randomChars(12)));
    repo.git(['add', '.']);
    const first = sealops(repo, ['scan', '--staged', '--format', 'json']);
    expect(first.status).toBe(1);
    const fp = JSON.parse(first.stdout).findings[0].fingerprint as string;
    repo.write('.sealopsignore', `# reviewed: fixture for the demo\n${fp} demo db password\n`);
    repo.git(['add', '.']);
    const ok = commit(repo, []);
    expect(ok.ok, ok.output).toBe(true);
    expect(ok.output).toContain('allowed (.sealopsignore)');
    repo.write('db.yaml', plainSecret('db', 'password', randomChars(12)));
    repo.git(['add', '.']);
    expect(commit(repo, []).ok).toBe(false);
  });

  it('blocks an edit of one value in a Secret committed earlier without the hook', () => {
    repo = guarded();
    repo.write('db.yaml', plainSecret('db', 'password', randomChars(12)) + '  user: app\n');
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'old leak', '--no-verify']);
    repo.write('db.yaml', readFileSync(`${repo.dir}/db.yaml`, 'utf8').replace('user: app', 'user: app2'));
    repo.git(['add', '.']);
    const res = commit(repo, []);
    expect(res.ok).toBe(false);
    expect(res.output).toMatch(/db\.yaml:8:\d+: finding: secret-plaintext-stringdata/);
  });

  it('judges git commit -a by the working tree version it is about to commit', () => {
    repo = guarded();
    repo.write('db.yaml', sealed);
    repo.git(['add', '.']);
    expect(commit(repo, []).ok).toBe(true);
    repo.write('db.yaml', plainSecret('db', 'password', randomChars(12)));
    // Nothing is staged: a plain `git commit` has nothing to commit, `-a` takes the plaintext.
    expect(commit(repo, ['-a']).ok).toBe(false);
  });

  it('judges git commit <path> by that path only: a plaintext path is blocked, a clean path passes despite a staged leak elsewhere', () => {
    repo = guarded();
    repo.write('clean.yaml', 'a: 1\n');
    repo.write('db.yaml', 'b: 1\n');
    repo.git(['add', '.']);
    expect(commit(repo, []).ok).toBe(true);
    repo.write('clean.yaml', 'a: 2\n');
    repo.git(['add', 'clean.yaml']);
    repo.write('db.yaml', plainSecret('db', 'password', randomChars(12)));
    expect(commit(repo, ['db.yaml']).ok).toBe(false);
    // Now the leak is staged, and only the clean file is committed.
    repo.git(['add', 'db.yaml']);
    repo.write('clean.yaml', 'a: 3\n');
    const res = commit(repo, ['clean.yaml']);
    expect(res.ok, res.output).toBe(true);
    expect(repo.git(['show', '--name-only', '--format=', 'HEAD']).trim()).toBe('clean.yaml');
  });

  it('judges a renamed file by its whole content', () => {
    repo = guarded();
    repo.write('old.yaml', plainSecret('db', 'password', randomChars(12)));
    repo.write('sealed.yaml', sealed);
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'old leak', '--no-verify']);
    repo.git(['mv', 'sealed.yaml', 'moved-sealed.yaml']);
    expect(commit(repo, []).ok).toBe(true);
    repo.git(['mv', 'old.yaml', 'new.yaml']);
    const res = commit(repo, []);
    expect(res.ok).toBe(false);
    expect(res.output).toContain('new.yaml');
  });

  it('allows a file that is sealed in the index but plaintext in the working tree, and blocks the reverse', () => {
    repo = guarded();
    repo.write('db.yaml', sealed);
    repo.git(['add', '.']);
    repo.write('db.yaml', plainSecret('db', 'password', randomChars(12)));
    expect(commit(repo, []).ok).toBe(true);
    repo.write('db2.yaml', plainSecret('db2', 'password', randomChars(12)));
    repo.git(['add', 'db2.yaml']);
    repo.write('db2.yaml', sealed);
    expect(commit(repo, []).ok).toBe(false);
  });

  it('runs a chained pre-existing hook after the guard, and a failing chained hook still blocks', () => {
    repo = tempRepo('sealops-e2e-');
    repo.git(['commit', '-q', '--allow-empty', '-m', 'init']);
    repo.write('.git/hooks/pre-commit', '#!/bin/sh\necho chained-hook-ran\nexit "${FAIL_CHAINED:-0}"\n');
    execFileSync('chmod', ['+x', `${repo.dir}/.git/hooks/pre-commit`]);
    expect(sealops(repo, ['hook', 'install']).stdout).toContain('pre-commit.local');
    repo.write('a.yaml', 'a: 1\n');
    repo.git(['add', '.']);
    const before = repo.tryGit(['commit', '-m', 'x'], { env: { FAIL_CHAINED: '1' } });
    expect(before.status).not.toBe(0);
    expect(before.output).toContain('chained-hook-ran');
    const ok = commit(repo, []);
    expect(ok.ok).toBe(true);
    expect(ok.output).toContain('chained-hook-ran');
    repo.write('b.yaml', plainSecret('b', 'k', randomChars(12)));
    repo.git(['add', '.']);
    const blocked = commit(repo, []);
    expect(blocked.ok).toBe(false);
    expect(blocked.output).not.toContain('chained-hook-ran'); // the guard stops first
    expect(sealops(repo, ['hook', 'uninstall']).status).toBe(0);
    expect(readFileSync(`${repo.dir}/.git/hooks/pre-commit`, 'utf8')).toContain('chained-hook-ran');
  });
});

describe('hooks installed elsewhere', () => {
  it('blocks through core.hooksPath and through a husky pre-commit file', () => {
    repo = tempRepo('sealops-e2e-');
    repo.git(['commit', '-q', '--allow-empty', '-m', 'init']);
    repo.git(['config', 'core.hooksPath', '.githooks']);
    expect(sealops(repo, ['hook', 'install']).stdout).toContain('.githooks/pre-commit');
    repo.write('db.yaml', plainSecret('db', 'password', randomChars(12)));
    repo.git(['add', '.']);
    expect(commit(repo, []).ok).toBe(false);
    // husky v9: hooksPath .husky/_ whose wrapper runs .husky/pre-commit; sealops adds itself there.
    repo.git(['config', 'core.hooksPath', '.husky/_']);
    repo.write('.husky/_/pre-commit', '#!/bin/sh\nsh "$(dirname "$(dirname "$0")")/pre-commit"\n');
    execFileSync('chmod', ['+x', `${repo.dir}/.husky/_/pre-commit`]);
    repo.write('.husky/pre-commit', 'echo husky-user-hook\n');
    const install = sealops(repo, ['hook', 'install']);
    expect(install.stdout).toContain('.husky/pre-commit');
    // The husky block calls sealops from PATH: put this build there as `sealops`.
    repo.write('bin/sealops', `#!/bin/sh\nexec '${process.execPath}' '${cli}' "$@"\n`);
    execFileSync('chmod', ['+x', `${repo.dir}/bin/sealops`]);
    const env = { PATH: `${repo.dir}/bin:${process.env.PATH ?? ''}` };
    const blocked = repo.tryGit(['commit', '-m', 'x'], { env });
    expect(blocked.status, blocked.output).not.toBe(0);
    expect(blocked.output).toContain('secret-plaintext-stringdata');
    repo.git(['rm', '-q', '--cached', 'db.yaml']);
    repo.git(['add', '.husky', 'bin']);
    const ok = repo.tryGit(['commit', '-m', 'y'], { env });
    expect(ok.status, ok.output).toBe(0);
    expect(ok.output).toContain('husky-user-hook');
  });
});

describe('sealops scan outside the hook', () => {
  it('finds in --history a Secret committed without the hook, names the commit, and exits 1', () => {
    repo = tempRepo('sealops-e2e-');
    const value = randomChars(16);
    repo.write('db.yaml', plainSecret('db', 'password', value));
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'leak']);
    const leak = head(repo);
    repo.write('db.yaml', fixture('sops/flux-age.yaml'));
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'seal']);
    const res = sealops(repo, ['scan', '--history', 'HEAD', '--format', 'json']);
    expect(res.status).toBe(1);
    const body = JSON.parse(res.stdout);
    expect(body.findings.map((f: { commit: string; rule: string }) => [f.commit, f.rule])).toEqual([[leak, 'secret-plaintext-stringdata']]);
    expect(res.stdout).not.toContain(value);
    expect(sealops(repo, ['scan', '--history', `${leak}..HEAD`]).status).toBe(0);
  });

  it('judges the working tree with --all and PATH arguments, and exits 2 on a file it cannot parse', () => {
    repo = tempRepo('sealops-e2e-');
    repo.write('ok/cm.yaml', fixture('manifests/configmap.yaml'));
    repo.write('bad/x.json', '{"a":');
    repo.write('.gitignore', 'ignored/\n');
    repo.write('ignored/db.yaml', plainSecret('db', 'password', randomChars(12)));
    expect(sealops(repo, ['scan', 'ok']).status).toBe(0);
    expect(sealops(repo, ['scan', '--all']).status).toBe(2);
    // An ignored file named explicitly is still judged.
    expect(sealops(repo, ['scan', 'ignored/db.yaml']).status).toBe(1);
    const sarif = JSON.parse(sealops(repo, ['scan', '--all', '--format', 'sarif']).stdout);
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(['parse-error']);
  });

  it('splits a large tree between worker threads and still reports every finding once, in path order', () => {
    repo = tempRepo('sealops-e2e-');
    const filler = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n${Array.from({ length: 300 }, (_, k) => `  k${k}: "${'v'.repeat(30)}"`).join('\n')}\n`;
    for (let i = 0; i < 500; i++) repo.write(`m/${String(i).padStart(3, '0')}.yaml`, filler);
    repo.write('m/120.yaml', plainSecret('a', 'k', randomChars(12)));
    repo.write('m/480.yaml', plainSecret('b', 'k', randomChars(12)));
    const res = sealops(repo, ['scan', '--all', '--format', 'json']);
    const body = JSON.parse(res.stdout);
    expect(body.summary.files).toBe(500);
    expect(body.summary.bytes).toBeGreaterThan(1024 * 1024);
    expect(body.findings.map((f: { path: string }) => f.path)).toEqual(['m/120.yaml', 'm/480.yaml']);
  });

  it('refuses contradictory options with a usage error (exit 2)', () => {
    repo = tempRepo('sealops-e2e-');
    const res = sealops(repo, ['scan', '--staged', 'x.yaml']);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/^sealops: error: failed to parse options: --staged takes no PATH/m);
  });
});
