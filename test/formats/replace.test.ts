// Atomic file replacement (replace.ts), with and without a pool of spare inodes: modes, symlinks,
// hard links, failures, and what is left on disk.
import { chmodSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IoError, replaceFile } from '../../src/index.js';
import { SpareInodes } from '../../src/formats/replace.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sealops-replace-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const temps = (d = dir): string[] => readdirSync(d).filter((n) => n.endsWith('.tmp'));

describe('replaceFile', () => {
  it('replaces a file with its mode kept, through a symlink to the file it names', () => {
    writeFileSync(join(dir, 'real.yaml'), 'old\n', { mode: 0o600 });
    chmodSync(join(dir, 'real.yaml'), 0o600);
    symlinkSync('real.yaml', join(dir, 'link.yaml'));
    replaceFile(join(dir, 'link.yaml'), 'new\n', { durable: true });
    expect(readFileSync(join(dir, 'real.yaml'), 'utf8')).toBe('new\n');
    expect(statSync(join(dir, 'real.yaml')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['link.yaml', 'real.yaml']);
  });

  it('writes each next file into the inode the last replacement freed, and leaves no temp file once the pool is disposed', () => {
    mkdirSync(join(dir, 'b'));
    const files = [join(dir, 'a.yaml'), join(dir, 'b', 'b.yaml'), join(dir, 'c.yaml')];
    for (const f of files) writeFileSync(f, `old ${f}\n`.repeat(40));
    const before = files.map((f) => statSync(f).ino);
    const spares = new SpareInodes();
    for (const f of files) replaceFile(f, `new ${f}\n`, { durable: true, spares });
    // Shorter than what the reused inode held: nothing of the old content may remain.
    for (const f of files) expect(readFileSync(f, 'utf8')).toBe(`new ${f}\n`);
    expect(statSync(files[1] as string).ino).toBe(before[0]);
    expect(statSync(files[2] as string).ino).toBe(before[1]);
    expect(temps().length + temps(join(dir, 'b')).length).toBe(1);
    spares.dispose();
    expect([...temps(), ...temps(join(dir, 'b'))]).toEqual([]);
  });

  it('never writes into an inode another hard link still names', () => {
    const [a, b] = [join(dir, 'a.yaml'), join(dir, 'b.yaml')];
    writeFileSync(a, 'a old\n');
    writeFileSync(b, 'b old\n');
    linkSync(a, join(dir, 'a-copy.yaml'));
    const spares = new SpareInodes();
    replaceFile(a, 'a new\n', { spares });
    replaceFile(b, 'b new\n', { spares });
    expect(readFileSync(join(dir, 'a-copy.yaml'), 'utf8')).toBe('a old\n');
    expect(readFileSync(b, 'utf8')).toBe('b new\n');
    spares.dispose();
    expect(temps()).toEqual([]);
  });

  it('fails with an IoError naming the file and removes its temp file (and any spare) when the rename fails', () => {
    writeFileSync(join(dir, 'a.yaml'), 'a old\n');
    mkdirSync(join(dir, 'folder.yaml'));
    const spares = new SpareInodes();
    replaceFile(join(dir, 'a.yaml'), 'a new\n', { spares });
    let err: unknown;
    try {
      replaceFile(join(dir, 'folder.yaml'), 'x\n', { spares });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IoError);
    expect((err as Error).message).toMatch(/^failed to write .*folder\.yaml: /);
    spares.dispose();
    expect(temps()).toEqual([]);
    expect(readFileSync(join(dir, 'a.yaml'), 'utf8')).toBe('a new\n');
  });
});
