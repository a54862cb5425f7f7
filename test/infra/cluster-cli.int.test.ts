/**
 * `npm run cluster` (dist/test/cluster/cli.js): starts a control plane, writes the admin
 * kubeconfig, stays up until SIGTERM, then removes its temp folder and the kubeconfig.
 * Runs the compiled CLI, so `npm run build` must have run (npm test does).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot } from '../cluster/binaries.js';
import { describeWithCluster } from '../support/kube.js';

const cli = join(repoRoot(), 'dist', 'test', 'cluster', 'cli.js');
let scratch: string;

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`failed to find ${cli}: run \`npm run build\` first`);
  scratch = mkdtempSync(join(tmpdir(), 'sealops-cli-test-'));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs the CLI; resolves with its output so far whenever `until` matches it, and on exit. */
function startCli(args: string[]) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 180_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(output)) {
      if (child.exitCode !== null) throw new Error(`cluster CLI exited ${child.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`cluster CLI did not print ${pattern}:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return output;
  };
  return { child, exited, waitFor, output: () => output };
}

describeWithCluster('npm run cluster', () => {
  it('serves a working API until SIGTERM, then removes its temp folder and the kubeconfig', async () => {
    const kubeconfig = join(scratch, 'kc.yaml');
    const run = startCli(['--kubeconfig', kubeconfig]);
    try {
      const out = await run.waitFor(/kubeconfig written/);
      const dir = /logs and certificates in (\S+)/.exec(out)?.[1];
      expect(dir && existsSync(dir)).toBe(true);
      const kc = new KubeConfig();
      kc.loadFromFile(kubeconfig);
      const list = await kc.makeApiClient(CoreV1Api).listNamespace();
      expect(list.items.map((n) => n.metadata?.name)).toContain('kube-system');

      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(existsSync(dir!)).toBe(false);
      expect(existsSync(kubeconfig)).toBe(false);
    } finally {
      if (run.child.exitCode === null) run.child.kill('SIGKILL');
    }
  });

  it('refuses to start without --kubeconfig, with a usage message and exit 2', async () => {
    const run = startCli([]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/--kubeconfig FILE is required/);
    expect(run.output()).toMatch(/usage: npm run cluster -- --kubeconfig FILE/);
  });
});
