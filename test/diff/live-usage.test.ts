// `sealops diff --live` option handling, without a cluster: every misuse is exit 2 with a clear
// message (never 1, which means "changes"), and no stack trace.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../cli/helpers.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealops-live-usage-'));
  writeFileSync(join(dir, 'kubeconfig'), 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const diff = (args: string[]) => run(['diff', ...args], { cwd: dir });

describe('sealops diff --live options', () => {
  it('refuses --live together with --from or --to', async () => {
    const r = await diff(['--live', '--from', 'HEAD']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--live compares with a cluster; --from and --to compare revisions');
  });

  it('asks for --from or --live when neither is given', async () => {
    const r = await diff([]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('give --from REF (a revision diff) or --live (against a cluster)');
  });

  it('refuses cluster options on a revision diff', async () => {
    const r = await diff(['--from', 'HEAD', '--sync', 'apps/apps']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('go with --live');
  });

  it('wants --sync as NAMESPACE/NAME', async () => {
    const r = await diff(['--live', '--sync', 'no-slash']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--sync expects NAMESPACE/NAME');
  });

  it('names the missing context of the kubeconfig, with exit 2 and no stack trace', async () => {
    const r = await diff(['--live', '--kubeconfig', join(dir, 'kubeconfig'), '--context', 'nowhere', '--sync', 'a/b']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^sealops: error: .*nowhere/m);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('names a key file it cannot read', async () => {
    const r = await diff(['--live', '--sync', 'a/b', '-k', join(dir, 'missing.agekey')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('failed to read');
    expect(r.stderr).toContain('ENOENT');
  });
});
