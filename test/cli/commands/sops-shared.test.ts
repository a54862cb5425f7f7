// Reading inputs and replacing files in place, as every sops-side command does it: through the
// real CLI in-process, on real files in a temp folder.
import { lstat, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../../src/index.js';
import { keyedTempDir, run, SECRET_YAML } from '../helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let recipient: string;
beforeEach(async () => {
  ({ dir, cleanup, recipient } = await keyedTempDir());
});
afterEach(() => cleanup());

describe('in-place writes', () => {
  it('seals the target of a symlinked FILE and keeps the link, so no plaintext copy stays behind', async () => {
    await writeFile(join(dir, 'real.yaml'), SECRET_YAML);
    await symlink('real.yaml', join(dir, 'link.yaml'));
    const r = await run(['seal', '-r', recipient, '--in-place', 'link.yaml'], { cwd: dir });
    expect(r.status).toBe(0);
    expect((await lstat(join(dir, 'link.yaml'))).isSymbolicLink()).toBe(true);
    expect(await readlink(join(dir, 'link.yaml'))).toBe('real.yaml');
    const target = await readFile(join(dir, 'real.yaml'), 'utf8');
    expect(target).toContain('sops:\n');
    expect(target).not.toContain('correct-horse-battery');
    const back = await run(['unseal', '-k', 'key.txt', '-i', 'link.yaml'], { cwd: dir });
    expect(back.status).toBe(0);
    expect(await readFile(join(dir, 'real.yaml'), 'utf8')).toBe(SECRET_YAML);
    expect((await lstat(join(dir, 'link.yaml'))).isSymbolicLink()).toBe(true);
  });
});

describe('reading inputs', () => {
  it('refuses a FILE that is not UTF-8 rather than sealing mangled bytes, and leaves it as it was', async () => {
    // 0xff 0xfe 0x80 cannot occur in UTF-8: decoding would turn them into U+FFFD for good.
    const bytes = Buffer.concat([Buffer.from('apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\nstringData:\n  password: '), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('\n')]);
    await writeFile(join(dir, 's.yaml'), bytes);
    await writeFile(join(dir, 'blob.bin'), bytes);
    for (const argv of [
      ['seal', '-r', recipient, '-i', 's.yaml'],
      ['seal', '-r', recipient, '--input-type', 'binary', '-i', 'blob.bin'],
    ]) {
      const r = await run(argv, { cwd: dir });
      expect(r.status, argv.join(' ')).toBe(EXIT_CODES.INPUT);
      expect(r.stderr).toMatch(/^sealops: error: failed to read (s\.yaml|blob\.bin): it is not UTF-8 text/m);
    }
    expect(await readFile(join(dir, 's.yaml'))).toEqual(bytes);
    expect(await readFile(join(dir, 'blob.bin'))).toEqual(bytes);
  });
});

describe('recipients on the command line', () => {
  it('never prints a private key passed by mistake as -r, in seal, rekey or verify', async () => {
    const identity = (await readFile(join(dir, 'key.txt'), 'utf8')).split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-')) ?? '';
    expect(identity).not.toBe('');
    await writeFile(join(dir, 's.yaml'), SECRET_YAML);
    expect((await run(['seal', '-r', recipient, '-i', 's.yaml'], { cwd: dir })).status).toBe(0);
    const sealed = await readFile(join(dir, 's.yaml'), 'utf8');
    for (const argv of [
      ['seal', '-r', identity, '-'],
      ['rekey', '-k', 'key.txt', '-r', identity, 's.yaml'],
      ['verify', '-r', identity, 's.yaml'],
    ]) {
      const r = await run(argv, { cwd: dir, stdin: SECRET_YAML });
      expect(r.status, argv[0]).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('it is an age identity (a private key), not a recipient');
      expect(r.stdout + r.stderr).not.toContain(identity.slice(16));
      expect(r.stdout + r.stderr).not.toContain(identity.slice(16).toLowerCase());
    }
    expect(await readFile(join(dir, 's.yaml'), 'utf8')).toBe(sealed);
  });
});
