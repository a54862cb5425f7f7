import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { formatAgeKeyFile, generateAgeKeyPair, IoError, KeyError, loadAgeIdentities, writePrivateKeyFile } from '../../src/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sealops-keys-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('loading identities', () => {
  it('reads -k files and ignores the environment when they are given', async () => {
    const a = await generateAgeKeyPair();
    const b = await generateAgeKeyPair();
    await writeFile(join(dir, 'a.txt'), formatAgeKeyFile(a.identity, a.recipient));
    const got = await loadAgeIdentities({ keyFiles: ['a.txt'], cwd: dir, env: { SOPS_AGE_KEY: b.identity } });
    expect(got.identities).toEqual([a.identity]);
  });

  it('reads SEALOPS_KEY_FILE, SOPS_AGE_KEY_FILE and SOPS_AGE_KEY together', async () => {
    const [a, b, c] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair(), generateAgeKeyPair()]);
    await writeFile(join(dir, 'a.txt'), a.identity);
    await writeFile(join(dir, 'b.txt'), b.identity);
    const got = await loadAgeIdentities({ cwd: dir, env: { SEALOPS_KEY_FILE: 'a.txt', SOPS_AGE_KEY_FILE: join(dir, 'b.txt'), SOPS_AGE_KEY: c.identity, HOME: dir } });
    expect(got.identities).toEqual([a.identity, b.identity, c.identity]);
  });

  it('fails with a KeyError naming a missing key file', async () => {
    await expect(loadAgeIdentities({ keyFiles: ['missing.txt'], cwd: dir })).rejects.toThrow(KeyError);
    await expect(loadAgeIdentities({ cwd: dir, env: { SOPS_AGE_KEY_FILE: 'gone.txt' } })).rejects.toThrow(/gone\.txt.*no such file/);
  });
});

describe('writing private key files', () => {
  it('creates the file with mode 0600 and its folder with 0700', async () => {
    const path = join(dir, 'new', 'key.txt');
    await writePrivateKeyFile(path, 'content\n');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'new'))).mode & 0o777).toBe(0o700);
  });

  it('refuses to overwrite an existing file and leaves it as it was', async () => {
    const path = join(dir, 'key.txt');
    await writeFile(path, 'old key\n');
    await expect(writePrivateKeyFile(path, 'new key\n')).rejects.toBeInstanceOf(IoError);
    expect(await readFile(path, 'utf8')).toBe('old key\n');
  });
});
