// `sealops agent` argument handling (no cluster needed): usage errors and an unreadable kubeconfig.
import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../../cli/program.js';

async function run(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await runCli(args, { stdin: new PassThrough(), stdout: out, stderr: err, env: {}, cwd: process.cwd(), exitCode: 0 });
  return { code, stderr, stdout };
}

describe('sealops agent', () => {
  it('exits 2 for a bad --concurrency', async () => {
    const r = await run(['agent', '--once', '--concurrency', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('sealops: error: failed to parse --concurrency');
  });

  it('exits 9 when the kubeconfig cannot be read', async () => {
    const r = await run(['agent', '--once', '--kubeconfig', '/nonexistent/kubeconfig']);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('sealops: error: failed to load kubeconfig');
  });

  it('exits 9 when the API server cannot be reached', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealops-kc-'));
    const file = join(dir, 'kubeconfig');
    // Port 9 (discard) on loopback: nothing listens there.
    writeFileSync(file, 'apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: k\n  cluster:\n    server: https://127.0.0.1:9\ncontexts:\n- name: c\n  context:\n    cluster: k\n    user: u\nusers:\n- name: u\n  user:\n    token: abc\n');
    const r = await run(['agent', '--once', '--kubeconfig', file]);
    expect(r.code).toBe(9);
    expect(r.stderr).toContain('failed to list Syncs');
  });
});
