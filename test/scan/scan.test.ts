import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { scanExitStatus, scanHistory, scanStaged, scanWorkTree } from '../../src/scan/scan.js';
import { SCAN_MAX_FILE_BYTES } from '../../src/scan/file.js';
import { cleanGitEnv, plainSecret, randomChars, tempRepo, type TempRepo } from './samples.js';
import { readFileSync } from 'node:fs';

let repo: TempRepo | undefined;
afterEach(() => repo?.remove());
const ctx = (r: TempRepo, sub = '') => ({ cwd: join(r.dir, sub), env: cleanGitEnv() });
const sealedEnv = readFileSync(new URL('./fixtures/clean/sops/flux-envs/env.env', import.meta.url), 'utf8');

describe('scanStaged', () => {
  it('judges the kustomization next to a changed env file, reading the env file from the index', async () => {
    repo = tempRepo();
    repo.write('app/kustomization.yaml', 'secretGenerator:\n  - name: db\n    envs: [db.env]\n');
    repo.write('app/db.env', sealedEnv);
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'sealed']);
    expect(scanExitStatus(await scanStaged(ctx(repo)))).toBe(0);
    repo.write('app/db.env', `PASSWORD=${randomChars(12)}\n`);
    repo.git(['add', 'app/db.env']);
    const report = await scanStaged(ctx(repo, 'app'));
    expect(report.findings.map((f) => [f.path, f.rule])).toEqual([['app/kustomization.yaml', 'kustomize-unsealed-file']]);
    // The working tree going back to sealed does not matter: the index is what gets committed.
    repo.write('app/db.env', sealedEnv);
    expect(scanExitStatus(await scanStaged(ctx(repo)))).toBe(1);
  });

  it('notes binaries and symbolic links instead of judging them', async () => {
    repo = tempRepo();
    repo.write('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1]));
    symlinkSync('logo.png', join(repo.dir, 'link.png'));
    repo.git(['add', '.']);
    const report = await scanStaged(ctx(repo));
    expect(report.notes.map((n) => [n.path, n.message])).toEqual([
      ['link.png', 'skipped: symbolic link'],
      ['logo.png', 'skipped: binary file'],
    ]);
    expect(scanExitStatus(report)).toBe(0);
  });

  it('blocks a staged file over the size cap without reading it, still judges the others, and lets an allowed one pass', async () => {
    repo = tempRepo();
    repo.write('big.yaml', Buffer.alloc(SCAN_MAX_FILE_BYTES + 1, 0x61));
    repo.write('db.yaml', plainSecret('db', 'password', randomChars(12)));
    repo.git(['add', '.']);
    const report = await scanStaged(ctx(repo));
    expect(report.findings.map((f) => [f.path, f.rule])).toEqual([['big.yaml', 'file-too-large'], ['db.yaml', 'secret-plaintext-stringdata']]);
    expect(scanExitStatus(report)).toBe(1);
    repo.write('.sealopsignore', `${report.findings[0]?.fingerprint ?? ''} reviewed: generated fixture\n`);
    repo.git(['rm', '--cached', '-q', 'db.yaml']);
    repo.git(['add', '.sealopsignore']);
    const allowed = await scanStaged(ctx(repo));
    expect(allowed.findings.map((f) => [f.path, f.allowed])).toEqual([['big.yaml', 'ignore-file']]);
    expect(scanExitStatus(allowed)).toBe(0);
  });

  it('reads .sealopsignore from the index and refuses a malformed one', async () => {
    repo = tempRepo();
    repo.write('.sealopsignore', 'not-a-fingerprint\n');
    repo.write('db.yaml', plainSecret('db', 'password', randomChars(12)));
    repo.git(['add', '.']);
    await expect(scanStaged(ctx(repo))).rejects.toBeInstanceOf(InputError);
  });
});

describe('scanHistory', () => {
  it('reads the env file a kustomization names at the commit being judged, also when only the env file changed', async () => {
    repo = tempRepo();
    repo.write('k/kustomization.yaml', 'secretGenerator:\n  - name: db\n    envs: [db.env]\n');
    repo.write('k/db.env', `PASSWORD=${randomChars(12)}\n`);
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'plain']);
    repo.write('k/db.env', sealedEnv);
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'sealed']);
    repo.write('k/db.env', `PASSWORD=${randomChars(12)}\n`);
    repo.git(['add', '.']);
    repo.git(['commit', '-qm', 'plain again, only the env file changes']);
    const report = await scanHistory(ctx(repo), 'HEAD');
    expect(report.findings.map((f) => [f.rule, f.commit])).toEqual([
      ['kustomize-unsealed-file', repo.git(['rev-parse', 'HEAD~2']).trim()],
      ['kustomize-unsealed-file', repo.git(['rev-parse', 'HEAD']).trim()],
    ]);
  });
});

describe('scanWorkTree', () => {
  it('judges the current folder by default and the whole tree with all, from a subfolder', async () => {
    repo = tempRepo();
    repo.write('a/ok.yaml', 'a: 1\n');
    repo.write('b/db.yaml', plainSecret('db', 'password', randomChars(12)));
    expect((await scanWorkTree(ctx(repo, 'a'))).findings).toEqual([]);
    const all = await scanWorkTree(ctx(repo, 'a'), [], { all: true });
    expect(all.findings.map((f) => f.path)).toEqual(['b/db.yaml']);
  });

  it('refuses a path that does not exist', async () => {
    repo = tempRepo();
    await expect(scanWorkTree(ctx(repo), ['nope'])).rejects.toThrow(/no such file or folder/);
  });
});
