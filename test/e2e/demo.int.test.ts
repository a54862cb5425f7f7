/**
 * Keeps the README's main-job demo true: runs `bash tools/demo-gitops.sh` (the built CLI in
 * dist/, so `npm run build` first; `npm test` does) against its own throwaway control plane,
 * and checks what it claims: the plaintext commit refused, the sealed commit accepted, the
 * agent Ready at that commit, the Secrets in the cluster equal to the originals, no demo value
 * in any output, and nothing left behind (processes or temp folders), also when interrupted.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { describeWithCluster } from '../support/kube.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const script = `${root}tools/demo-gitops.sh`;

/** The demo values the script writes into its Secrets, read from the script so they stay in step. */
function demoValues(): string[] {
  const m = /^demo_values=\(([^)]*)\)/m.exec(readFileSync(script, 'utf8'));
  if (!m) throw new Error('failed to find demo_values=(...) in tools/demo-gitops.sh');
  return m[1]!.trim().split(/\s+/);
}

/** The caller's environment without GIT_* variables (vitest may run inside a git hook). */
function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_')));
}

interface Run {
  status: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs the demo; `onOutput` sees the output so far and may return a signal to send it. */
function runDemo(onOutput?: (text: string) => NodeJS.Signals | undefined): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { cwd: root, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let signalled = false;
    const take = (chunk: Buffer): void => {
      output += chunk.toString('utf8');
      const sig = signalled ? undefined : onOutput?.(output);
      if (sig) {
        signalled = true;
        child.kill(sig);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', reject);
    child.on('close', (status, signal) => resolve({ status, signal, output }));
  });
}

/** The demo's temp folder, read from the kubeconfig path it prints. */
function workDir(output: string): string {
  const m = /admin kubeconfig at (\S+)\/kubeconfig/.exec(output);
  if (!m) throw new Error(`failed to find the demo's work folder in its output:\n${output}`);
  return m[1]!;
}

/** Processes whose command line mentions `path` (etcd's data dir and the API server's cert dir live there). */
function processesUsing(path: string): string[] {
  const found: string[] = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (cmd.includes(path)) found.push(`${pid} ${cmd.slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

beforeAll(() => {
  if (!existsSync(`${root}dist/cli/sealops.js`) || !existsSync(`${root}dist/test/cluster/cli.js`)) {
    throw new Error('failed to find dist/: run npm run build first');
  }
});

describeWithCluster('the GitOps demo (tools/demo-gitops.sh)', () => {
  it('runs the whole flow, proves each step, and leaves nothing behind', { timeout: 600_000 }, async () => {
    const run = await runDemo();
    const out = run.output;
    expect(run.status, out).toBe(0);

    // The plaintext commit: refused by the hook, for the plaintext Secret, with nothing committed.
    // (The guard's wording belongs to the guard; the rule id and the file are the contract.)
    expect(out).toMatch(/apps\/db-secret\.yaml:\d+:\d+: .*secret-plaintext-stringdata.*orders-db/);
    expect(out).toMatch(/apps\/api-token\.yaml:\d+:\d+: .*secret-plaintext-stringdata.*api-token/);
    expect(out).toContain('refused (exit 1): nothing was committed');

    // The sealed commit: accepted, values ENC[...] in git.
    const commit = /commit ([0-9a-f]{40})\n\s*add the shop, Secrets sealed/.exec(out)?.[1];
    expect(commit, out).toBeDefined();
    expect(out).toMatch(/password: ENC\[AES256_GCM,data:/);

    // The agent: Ready at exactly that commit.
    expect(out).toContain(`sealops-system/demo\tReady\tReconciliationSucceeded\tmain@sha1:${commit}`);
    expect(out).toMatch(/Ready: +True \(ReconciliationSucceeded\)/);
    expect(out).toContain(`lastAppliedRevision: main@sha1:${commit}`);

    // The cluster holds what the repository describes, applied by the agent.
    expect(out).toMatch(/found {3}Namespace demo-shop \(field managers: sealops\)/);
    expect(out).toMatch(/found {3}ConfigMap demo-shop\/shop-settings \(field managers: sealops\)/);
    expect(out).toMatch(/match {3}Secret demo-shop\/orders-db: 2 value\(s\) equal the plaintext originals/);
    expect(out).toMatch(/match {3}Secret demo-shop\/api-token: 1 value\(s\) equal the plaintext originals/);
    // What runs where and what a change would do: status, history, and both diffs, key by key.
    expect(out).toMatch(new RegExp(`sealops-system/demo +True +main@${commit!.slice(0, 7)} +current `));
    expect(out).toMatch(new RegExp(`main@${commit!.slice(0, 7)} +\\S+ +\\S+ +1 +4/0/0/0 +sha256:`));
    expect(out).toMatch(/changed ConfigMap demo-shop\/shop-settings[\s\S]*- {2}mode: demo\n\s*\+ {2}mode: live/);
    expect(out).toMatch(/key password +changed\n\s*key username +unchanged\n/);
    expect(out).toMatch(/key password +changed in git\n\s*key username +unchanged since the agent applied it/);
    expect(out).toContain('both diffs name the changed ConfigMap field and the changed secret key, and no value');
    expect(out).toContain(`demo ok: plaintext commit refused; sealed commit ${commit!.slice(0, 12)} applied by the agent`);
    expect(out).not.toContain('DEMO FAILED');

    // No demo value printed anywhere, and nothing left running or on disk.
    for (const value of demoValues()) expect(out).not.toContain(value);
    const work = workDir(out);
    expect(existsSync(work)).toBe(false);
    expect(processesUsing(work)).toEqual([]);
  });

  it('stops the control plane and removes its folders when interrupted', { timeout: 300_000 }, async () => {
    // SIGTERM once the control plane is up: the trap must take etcd and kube-apiserver down.
    const run = await runDemo((text) => (/API server answers; admin kubeconfig at/.test(text) ? 'SIGTERM' : undefined));
    expect(run.status, run.output).toBe(143);
    expect(run.output).not.toContain('demo ok');
    const work = workDir(run.output);
    expect(existsSync(work)).toBe(false);
    expect(processesUsing(work)).toEqual([]);
  });
});
