/**
 * The CLI as a Unix tool: -q, colour only on a terminal and never with NO_COLOR, progress and
 * summaries of bulk commands, `seal -i --all PATH`, and shell completion scripts.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../cli/program.js';
import type { CliIo } from '../../cli/io.js';
import { EXIT_CODES } from '../../src/index.js';
import { keyedTempDir, run, SECRET_YAML } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let recipient: string;
beforeEach(async () => {
  ({ dir, cleanup, recipient } = await keyedTempDir());
});
afterEach(() => cleanup());

/** Runs the CLI with a stderr that says it is a terminal. */
async function runOnTty(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: true });
  let out = '';
  let err = '';
  stdout.on('data', (c: Buffer) => (out += c.toString()));
  stderr.on('data', (c: Buffer) => (err += c.toString()));
  const io: CliIo = { stdin: Readable.from([]), stdout, stderr, env: { PATH: process.env.PATH, HOME: dir, ...env }, cwd: dir, exitCode: 0 };
  const status = await runCli(argv, io);
  return { status, stdout: out, stderr: err };
}

async function plainFiles(n: number, sub = '.'): Promise<string[]> {
  await mkdir(join(dir, sub), { recursive: true });
  const files = Array.from({ length: n }, (_, i) => join(sub, `s${i}.yaml`));
  for (const f of files) await writeFile(join(dir, f), SECRET_YAML.replace('name: app', `name: app-${f.replace(/\W/g, '-')}`));
  return files;
}

describe('bulk commands', () => {
  it('print only the one-line summary off a terminal', async () => {
    const files = await plainFiles(5);
    const sealed = await run(['seal', '-r', recipient, '-i', ...files], { cwd: dir });
    expect(sealed.status).toBe(0);
    expect(sealed.stderr).toBe('sealed 5, unchanged 0, failed 0\n');
    const verified = await run(['verify', '-k', 'key.txt', ...files], { cwd: dir });
    expect(verified.stderr).toBe('verified 5, failed 0\n');
    expect(verified.stdout.split('\n').filter(Boolean)).toHaveLength(5);
    const unsealed = await run(['unseal', '-k', 'key.txt', '-i', ...files], { cwd: dir });
    expect(unsealed.stderr).toBe('unsealed 5, failed 0\n');
    expect(await readFile(join(dir, files[0]!), 'utf8')).toContain('correct-horse-battery');
  });

  it('draw a progress bar on a terminal, erase it, then print the summary', async () => {
    const files = await plainFiles(3);
    const r = await runOnTty(['seal', '-r', recipient, '-i', ...files]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('\rsealing [');
    expect(r.stderr).toContain('3/3');
    expect(r.stderr.endsWith('\r\x1b[2Ksealed 3, unchanged 0, failed 0\n')).toBe(true);
  });

  it('say nothing but errors with -q', async () => {
    const files = await plainFiles(3);
    const r = await runOnTty(['-q', 'seal', '-r', recipient, '-i', ...files]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const after = await run(['seal', '--quiet', '-r', recipient, '-i', files[0]!], { cwd: dir });
    expect(after.status).toBe(EXIT_CODES.INPUT);
    expect(after.stderr).toMatch(/^sealops: error: failed to seal s0\.yaml: it is already sealed/);
  });
});

describe('colour', () => {
  it('marks errors in colour on a terminal, and never with NO_COLOR or off a terminal', async () => {
    const tty = await runOnTty(['unseal', 'missing.yaml']);
    expect(tty.stderr).toContain('\x1b[31merror:\x1b[0m');
    const noColor = await runOnTty(['unseal', 'missing.yaml'], { NO_COLOR: '1' });
    expect(noColor.stderr).toBe('sealops: error: failed to read missing.yaml: no such file\n');
    const pipe = await run(['unseal', 'missing.yaml'], { cwd: dir });
    expect(pipe.stderr).not.toContain('\x1b[');
  });
});

describe('sealops seal -i --all PATH', () => {
  it('seals every plaintext Secret under the folder and leaves sealed files and other manifests byte for byte', async () => {
    const plain = await plainFiles(3, 'repo/apps');
    const already = await plainFiles(1, 'repo/sealed');
    expect((await run(['seal', '-r', recipient, '-i', ...already], { cwd: dir })).status).toBe(0);
    const sealedBefore = await readFile(join(dir, already[0]!), 'utf8');
    const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: "1"\n';
    await writeFile(join(dir, 'repo', 'cm.yaml'), configMap);
    await mkdir(join(dir, 'repo', '.git'));
    await writeFile(join(dir, 'repo', '.git', 'secret.yaml'), SECRET_YAML);

    const r = await run(['seal', '-r', recipient, '-i', '--all', 'repo'], { cwd: dir });
    expect(r.stderr).toBe('sealed 3, unchanged 1, failed 0\n');
    expect(r.status).toBe(0);
    for (const f of plain) {
      const text = await readFile(join(dir, f), 'utf8');
      expect(text).toContain('sops:');
      expect(text).not.toContain('correct-horse-battery');
    }
    expect(await readFile(join(dir, already[0]!), 'utf8')).toBe(sealedBefore);
    expect(await readFile(join(dir, 'repo', 'cm.yaml'), 'utf8')).toBe(configMap);
    expect(await readFile(join(dir, 'repo', '.git', 'secret.yaml'), 'utf8')).toBe(SECRET_YAML);

    const again = await run(['seal', '-r', recipient, '-i', '--all', 'repo'], { cwd: dir });
    expect(again.stderr).toBe('sealed 0, unchanged 4, failed 0\n');
  });

  it('needs --in-place and takes no FILE', async () => {
    expect((await run(['seal', '-r', recipient, '--all', '.'], { cwd: dir })).stderr).toMatch(/--all needs --in-place/);
    expect((await run(['seal', '-r', recipient, '-i', '--all', '.', 'x.yaml'], { cwd: dir })).stderr).toMatch(/--all takes a PATH, not FILEs/);
  });
});

describe('sealops completion', () => {
  it('prints a bash script that completes commands and their options in a real bash', async () => {
    const script = (await run(['completion', 'bash'], { cwd: dir })).stdout;
    await writeFile(join(dir, 'c.bash'), script);
    const complete = (words: string[]): string =>
      execFileSync('bash', ['-c', `source ./c.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _sealops; echo "\${COMPREPLY[*]}"`], {
        cwd: dir,
        encoding: 'utf8',
      }).trim();
    expect(complete(['sealops', 'unse'])).toBe('unseal');
    expect(complete(['sealops', 'seal', '--merge'])).toBe('--merge-into');
    expect(complete(['sealops', 'completion', '--h'])).toBe('--help');
    expect(complete(['sealops', 'hook', 'un'])).toBe('uninstall');
  });

  it('prints zsh and fish scripts that the real shells read, and refuses another shell', async () => {
    for (const shell of ['zsh', 'fish']) {
      const r = await run(['completion', shell], { cwd: dir });
      expect(r.status).toBe(0);
      for (const cmd of ['keygen', 'seal', 'unseal', 'edit', 'rekey', 'rotate', 'verify', 'scan', 'hook', 'completion']) expect(r.stdout).toContain(cmd);
    }
    // The real shells read them: zsh parses the script, fish completes from it.
    await writeFile(join(dir, '_sealops'), (await run(['completion', 'zsh'], { cwd: dir })).stdout);
    execFileSync('zsh', ['-n', join(dir, '_sealops')]);
    await writeFile(join(dir, 'sealops.fish'), (await run(['completion', 'fish'], { cwd: dir })).stdout);
    const fish = execFileSync('fish', ['-c', `source ${join(dir, 'sealops.fish')}; complete -C 'sealops unse'; complete -C 'sealops seal --mer'`], { encoding: 'utf8' });
    expect(fish).toMatch(/^unseal\tdecrypt sealed files/m);
    expect(fish).toMatch(/^--merge-into\t/m);
    const bad = await run(['completion', 'tcsh'], { cwd: dir });
    expect(bad.status).toBe(EXIT_CODES.USAGE);
    expect(bad.stderr).toMatch(/unknown shell "tcsh"/);
  });
});
