/**
 * `npm run cluster` (dist/test/cluster/cli.js): starts a control plane, writes the admin
 * kubeconfig, stays up until SIGTERM, then removes its temp folder and the kubeconfig.
 * Runs the compiled CLI, so `npm run build` must have run (npm test does).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
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
function startCli(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
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

  it('stops everything it started when SIGTERM arrives during start-up', async () => {
    const tmp = mkdtempSync(join(scratch, 'tmp-'));
    const kubeconfig = join(scratch, 'early.yaml');
    const run = startCli(['--kubeconfig', kubeconfig, '--no-controller-manager'], { ...process.env, TMPDIR: tmp });
    try {
      // The temp folder appears as soon as start-up begins, well before the API is ready.
      const deadline = Date.now() + 30_000;
      while (readdirSync(tmp).length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(readdirSync(tmp).length).toBeGreaterThan(0);
      expect(run.output()).not.toMatch(/kubeconfig written/);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      expect(readdirSync(tmp)).toEqual([]);
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
