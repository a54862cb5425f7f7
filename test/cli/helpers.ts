// In-process CLI runs for the command tests: captured streams, a private temp folder, and a
// clean environment so no key of the machine leaks into a test.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../cli/program.js';
import type { CliIo } from '../../cli/io.js';

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs `sealops argv…` in `cwd` with `stdin` and `env`, capturing everything. */
export async function run(argv: string[], opts: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv }): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  const io: CliIo = {
    stdin: Readable.from([Buffer.from(opts.stdin ?? '')]),
    stdout,
    stderr,
    env: { PATH: process.env.PATH, HOME: opts.cwd, ...opts.env },
    cwd: opts.cwd,
    exitCode: 0,
  };
  const status = await runCli(argv, io);
  return { status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
}

/** A fresh temp folder, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'sealops-cli-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A private temp folder holding a fresh age identity `key.txt`, and that identity's recipient. */
export async function keyedTempDir(): Promise<{ dir: string; cleanup: () => Promise<void>; recipient: string }> {
  const { dir, cleanup } = await tempDir();
  const r = await run(['keygen', '-o', 'key.txt'], { cwd: dir });
  if (r.status !== 0) throw new Error(`keygen failed in the test setup: ${r.stderr}`);
  return { dir, cleanup, recipient: r.stdout.trim() };
}

export const SECRET_YAML = `# credentials for the app
apiVersion: v1
kind: Secret
metadata:
  name: app
  namespace: prod
type: Opaque
stringData:
  password: "correct-horse-battery"
  user: admin
`;
