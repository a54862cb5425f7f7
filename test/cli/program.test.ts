/**
 * The program around the commands: its version, commander's own messages, exit statuses
 * from the one table, missing tools, and no raw warning of a library on stderr.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES, formatError, InputError } from '../../src/index.js';
import { ownVersion } from '../../cli/version.js';
import { run, SECRET_YAML, tempDir } from './helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(() => cleanup());

describe('sealops --version', () => {
  it("prints sealops's own version, not the npm_package_version of the project it runs in", async () => {
    const saved = process.env.npm_package_version;
    process.env.npm_package_version = '9.9.9-other-project';
    try {
      const r = await run(['--version'], { cwd: dir, env: { npm_package_version: '9.9.9-other-project' } });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe(`${pkg.version}\n`);
    } finally {
      if (saved === undefined) delete process.env.npm_package_version;
      else process.env.npm_package_version = saved;
    }
  });

  it('finds the package.json named sealops by walking up, skipping other projects', () => {
    expect(ownVersion(new URL('../../cli/commands/seal.ts', import.meta.url).href)).toBe(pkg.version);
    expect(ownVersion('file:///nonexistent/a/b.js')).toBe('unknown');
  });
});

describe('commander messages', () => {
  it('prefixes an unknown option with sealops: and exits with the usage status', async () => {
    const r = await run(['seal', '--no-such-option'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.USAGE);
    expect(r.stderr).toMatch(/^sealops: error: unknown option '--no-such-option'$/m);
  });

  it('prefixes an unknown command too', async () => {
    const r = await run(['no-such-command'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.USAGE);
    expect(r.stderr).toMatch(/^sealops: error: unknown command 'no-such-command'$/m);
  });
});

describe('exit statuses', () => {
  it('maps a thrown value that is not a SealopsError to the internal status of the table, message only', () => {
    const err = new TypeError('boom');
    const out = formatError(err);
    expect(out).toEqual({ text: 'sealops: error: internal error: boom\n', exitCode: EXIT_CODES.INTERNAL });
    expect(EXIT_CODES.INTERNAL).toBe(70);
    expect(formatError(new InputError('failed to read x: y', { hint: 'z' }))).toEqual({
      text: 'sealops: error: failed to read x: y\nsealops: hint: z\n',
      exitCode: EXIT_CODES.INPUT,
    });
  });

  it('has no exit status written as a bare number in cli/: every one comes from the table in src/errors.ts', () => {
    const files: string[] = [];
    const walk = (d: string): void => {
      for (const name of readdirSync(d)) {
        const p = join(d, name);
        if (statSync(p).isDirectory()) walk(p);
        else if (p.endsWith('.ts')) files.push(p);
      }
    };
    walk(join(root, 'cli'));
    const bare = /(?:exitCode\s*[:=]\s*|return\s+|process\.exit\()\d+\b/;
    const offenders = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((l) => bare.test(l)).map((l) => `${f}: ${l.trim()}`));
    expect(offenders).toEqual([]);
  });

  it('reports a missing git as a missing tool (exit 10), as the README table says', async () => {
    const r = await run(['scan', '--staged'], { cwd: dir, env: { PATH: join(dir, 'empty-path') } });
    expect(r.status).toBe(EXIT_CODES.ENVIRONMENT);
    expect(r.stderr).toMatch(/^sealops: error: failed to run git: git is not installed or not on PATH$/m);
  });
});

describe('warnings of the YAML library', () => {
  it('never reach stderr as raw Node warnings, for a collection key or an unresolved tag', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      await writeFile(join(dir, '.sops.yaml'), 'creation_rules:\n  - age: !custom age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\n');
      await writeFile(join(dir, 'odd.yaml'), SECRET_YAML.replace('metadata:\n', 'metadata:\n  labels:\n    ? [x, y]\n    : z\n'));
      await run(['verify', 'odd.yaml'], { cwd: dir });
      await run(['seal', '--cert', 'missing.pem', 'odd.yaml'], { cwd: dir });
      await run(['seal', 'odd.yaml'], { cwd: dir });
      // process.emitWarning delivers on the next tick.
      await new Promise((r) => setImmediate(r));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });
});
