import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
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

describe('key sources that yield no identity', () => {
  it('refuses an empty or comment-only -k file, saying there is no identity in it', async () => {
    await writeFile(join(dir, 'empty.txt'), '');
    await writeFile(join(dir, 'comments.txt'), '# created: 2026-01-01\n\n# nothing else\n');
    for (const f of ['empty.txt', 'comments.txt']) {
      const err = await loadAgeIdentities({ keyFiles: [f], cwd: dir }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KeyError);
      expect((err as KeyError).message).toBe(`failed to read key file ${f}: no identity in ${f}`);
      expect((err as KeyError).exitCode).toBe(3);
    }
  });

  it('refuses SEALOPS_KEY_FILE, SOPS_AGE_KEY_FILE or SOPS_AGE_KEY when they hold no identity, even next to one that does', async () => {
    const a = await generateAgeKeyPair();
    await writeFile(join(dir, 'empty.txt'), '\n');
    await writeFile(join(dir, 'a.txt'), a.identity);
    await expect(loadAgeIdentities({ cwd: dir, env: { SEALOPS_KEY_FILE: 'empty.txt', HOME: dir } })).rejects.toThrow(/no identity in empty\.txt/);
    await expect(loadAgeIdentities({ cwd: dir, env: { SOPS_AGE_KEY_FILE: 'empty.txt', SEALOPS_KEY_FILE: 'a.txt', HOME: dir } })).rejects.toThrow(/SOPS_AGE_KEY_FILE.*no identity in empty\.txt/);
    await expect(loadAgeIdentities({ cwd: dir, env: { SOPS_AGE_KEY: '# only a comment', HOME: dir } })).rejects.toThrow(/no identity in SOPS_AGE_KEY/);
  });

  it('names a recipient passed where an identity belongs, as a -k argument or inside the file', async () => {
    const a = await generateAgeKeyPair();
    const given = await loadAgeIdentities({ keyFiles: [a.recipient], cwd: dir }).catch((e: unknown) => e);
    expect(given).toBeInstanceOf(KeyError);
    expect((given as KeyError).message).toMatch(/is an age recipient \(a public key\), given where an identity belongs/);
    await writeFile(join(dir, 'pub.txt'), `# public\n${a.recipient}\n`);
    await expect(loadAgeIdentities({ keyFiles: ['pub.txt'], cwd: dir })).rejects.toThrow(/key file pub\.txt: it is an age recipient/);
  });

  it('treats an empty default sops key file as no key, since nobody named it', async () => {
    await mkdir(join(dir, '.config', 'sops', 'age'), { recursive: true });
    await writeFile(join(dir, '.config', 'sops', 'age', 'keys.txt'), '');
    expect((await loadAgeIdentities({ cwd: dir, env: { HOME: dir } })).identities).toEqual([]);
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
