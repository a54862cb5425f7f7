import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { CHAINED_HOOK, HOOK_MARKER, installHook, uninstallHook } from '../../src/scan/hook.js';
import { cleanGitEnv, tempRepo, type TempRepo } from './samples.js';

let repo: TempRepo | undefined;
afterEach(() => repo?.remove());
const ctx = (r: TempRepo, sub = '') => ({ cwd: join(r.dir, sub), env: cleanGitEnv() });
const cmd = { node: process.execPath, script: '/opt/sealops/dist/cli/sealops.js' };

describe('hook install and uninstall', () => {
  it('installs an executable pre-commit hook in .git/hooks that runs this sealops by absolute path', async () => {
    repo = tempRepo();
    const r = await installHook(ctx(repo), cmd);
    expect(r).toEqual({ action: 'installed', path: join(repo.dir, '.git/hooks/pre-commit') });
    const text = readFileSync(r.path, 'utf8');
    expect(text).toContain(HOOK_MARKER);
    expect(text).toContain(`'${process.execPath}' '/opt/sealops/dist/cli/sealops.js' scan --staged`);
    expect(text).toContain('npx --no sealops scan --staged');
    expect(statSync(r.path).mode & 0o111).toBe(0o111);
    expect((await installHook(ctx(repo), cmd)).action).toBe('updated');
  });

  it('keeps an existing hook as pre-commit.local, chains it, and restores it on uninstall', async () => {
    repo = tempRepo();
    const hook = join(repo.dir, '.git/hooks/pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho mine\n');
    chmodSync(hook, 0o755);
    const r = await installHook(ctx(repo), cmd);
    expect(r.chained).toBe(join(repo.dir, '.git/hooks', CHAINED_HOOK));
    expect(readFileSync(r.chained!, 'utf8')).toBe('#!/bin/sh\necho mine\n');
    expect(readFileSync(hook, 'utf8')).toContain(`exec "$hook_dir/${CHAINED_HOOK}" "$@"`);
    const u = await uninstallHook(ctx(repo));
    expect(u.action).toBe('removed');
    expect(readFileSync(hook, 'utf8')).toBe('#!/bin/sh\necho mine\n');
    expect(existsSync(r.chained!)).toBe(false);
  });

  it('refuses with a hint when both the hook and pre-commit.local exist, and changes nothing', async () => {
    repo = tempRepo();
    const dir = join(repo.dir, '.git/hooks');
    writeFileSync(join(dir, 'pre-commit'), '#!/bin/sh\necho a\n');
    writeFileSync(join(dir, CHAINED_HOOK), '#!/bin/sh\necho b\n');
    const err = await installHook(ctx(repo), cmd).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).hint).toMatch(/sealops scan --staged/);
    expect(readFileSync(join(dir, 'pre-commit'), 'utf8')).toBe('#!/bin/sh\necho a\n');
  });

  it('installs into core.hooksPath, relative to the top of the tree, from a subfolder', async () => {
    repo = tempRepo();
    repo.git(['config', 'core.hooksPath', '.githooks']);
    mkdirSync(join(repo.dir, 'sub'));
    const r = await installHook(ctx(repo, 'sub'), cmd);
    expect(r.path).toBe(join(repo.dir, '.githooks/pre-commit'));
    expect(existsSync(join(repo.dir, '.git/hooks/pre-commit'))).toBe(false);
  });

  it('adds a marked block to .husky/pre-commit for husky, keeps the user lines, and removes only the block', async () => {
    repo = tempRepo();
    mkdirSync(join(repo.dir, '.husky/_'), { recursive: true });
    writeFileSync(join(repo.dir, '.husky/pre-commit'), 'npm test\n');
    repo.git(['config', 'core.hooksPath', '.husky/_']);
    const r = await installHook(ctx(repo), cmd);
    expect(r.path).toBe(join(repo.dir, '.husky/pre-commit'));
    const text = readFileSync(r.path, 'utf8');
    expect(text.indexOf('sealops scan --staged')).toBeLessThan(text.indexOf('npm test'));
    expect(text).not.toContain(process.execPath); // the husky file is shared: no machine paths
    await installHook(ctx(repo), cmd);
    expect(readFileSync(r.path, 'utf8').split(HOOK_MARKER).length).toBe(3); // one begin and one end marker
    await uninstallHook(ctx(repo));
    expect(readFileSync(r.path, 'utf8')).toBe('npm test\n');
  });

  it('leaves a hook it did not write alone on uninstall', async () => {
    repo = tempRepo();
    const hook = join(repo.dir, '.git/hooks/pre-commit');
    writeFileSync(hook, '#!/bin/sh\nexit 0\n');
    expect((await uninstallHook(ctx(repo))).action).toBe('not-installed');
    expect(readFileSync(hook, 'utf8')).toBe('#!/bin/sh\nexit 0\n');
  });
});
