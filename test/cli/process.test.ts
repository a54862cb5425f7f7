/**
 * The built CLI as a process (dist/cli: `npm run build` first, as `npm test` does): what only
 * a real process shows, such as a reader that closes the pipe.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
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
