/**
 * The built CLI as a process (dist/cli: `npm run build` first, as `npm test` does): what only
 * a real process shows, such as a reader that closes the pipe.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, SECRET_YAML, keyedTempDir } from './helpers.js';

const CLI = new URL('../../dist/cli/sealops.js', import.meta.url).pathname;

/** Runs the built CLI with its stdout pipe already closed by the reader, like `| head -0`. */
function runWithClosedStdout(args: string[], cwd: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: cwd } });
    // Closing our end before the child writes makes its first write fail with EPIPE.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

let dir: string;
let cleanup: () => Promise<void>;
let files: string[];
beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  let recipient: string;
  ({ dir, cleanup, recipient } = await keyedTempDir());
  files = Array.from({ length: 40 }, (_, i) => `s${i}.yaml`);
  for (const f of files) await writeFile(join(dir, f), SECRET_YAML);
  expect((await run(['seal', '-r', recipient, '-i', ...files], { cwd: dir })).status).toBe(0);
});
afterAll(() => cleanup());

describe('a closed pipe', () => {
  it('ends verify quietly with exit 0 when every file verified', async () => {
    const r = await runWithClosedStdout(['verify', '-k', 'key.txt', ...files], dir);
    // stderr is still open: the summary may reach it, a stack trace never.
    expect(r.stderr).toMatch(/^(verified 40, failed 0\n)?$/);
    expect(r.status).toBe(0);
  });

  it('ends scan --format json quietly with exit 0', async () => {
    const r = await runWithClosedStdout(['scan', '--format', 'json', '.'], dir);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the bundled CLI', () => {
  it('judges a large tree on worker threads started from the bundle, finding the one plaintext Secret', () => {
    const tree = join(dir, 'tree');
    // Over the thresholds of src/scan/parallel.ts (400 files, 1 MiB), so workers do the judging.
    const filler = `# ${'x'.repeat(3000)}\n`;
    for (let i = 0; i < 450; i++) {
      mkdirSync(join(tree, `d${i % 9}`), { recursive: true });
      writeFileSync(join(tree, `d${i % 9}`, `cm${i}.yaml`), `${filler}apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c${i}\ndata:\n  a: "1"\n`);
    }
    writeFileSync(join(tree, 'd3', 'leak.yaml'), SECRET_YAML);
    const r = spawnSync(process.execPath, [CLI, 'scan', '--format', 'json', 'tree'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    const report = JSON.parse(r.stdout) as { summary: { files: number }; findings: { path: string }[] };
    expect(report.summary.files).toBe(451);
    expect([...new Set(report.findings.map((f) => f.path))]).toEqual(['tree/d3/leak.yaml']);
  });

  it('installs a pre-commit hook that runs the bundled guard entry', () => {
    const repo = join(dir, 'repo');
    mkdirSync(repo);
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const r = spawnSync(process.execPath, [CLI, 'hook', 'install'], { cwd: repo, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
    expect(r.status).toBe(0);
    const hook = readFileSync(join(repo, '.git', 'hooks', 'pre-commit'), 'utf8');
    expect(hook).toContain(new URL('../../dist/cli/guard.js', import.meta.url).pathname);
  });
});

describe('warnings of the YAML library in a real process', () => {
  it('never reach stderr raw, whichever library call emits them', () => {
    const sub = join(dir, 'warn');
    mkdirSync(sub);
    writeFileSync(join(sub, '.sops.yaml'), 'creation_rules:\n  - age: !custom age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n');
    writeFileSync(join(sub, 'odd.yaml'), SECRET_YAML.replace('metadata:\n', 'metadata:\n  labels:\n    ? [x, y]\n    : z\n'));
    for (const args of [['verify', 'odd.yaml'], ['seal', 'odd.yaml'], ['scan', 'odd.yaml']]) {
      const r = spawnSync(process.execPath, [CLI, ...args], { cwd: sub, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir } });
      expect(r.stderr).not.toMatch(/Warning|YAMLWarning|trace-warnings/);
    }
  });
});
