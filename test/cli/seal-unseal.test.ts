import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/index.js';
import { keyedTempDir, run, SECRET_YAML } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let recipient: string;
beforeEach(async () => {
  ({ dir, cleanup, recipient } = await keyedTempDir());
});
afterEach(() => cleanup());

describe('sealops keygen', () => {
  it('writes an age-keygen style identity file with mode 0600 and prints its recipient', async () => {
    const text = await readFile(join(dir, 'key.txt'), 'utf8');
    expect(text).toMatch(/^# created: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\n# public key: age1[a-z0-9]{58}\nAGE-SECRET-KEY-1[A-Z0-9]{58}\n$/);
    expect(text).toContain(`# public key: ${recipient}`);
    expect((await stat(join(dir, 'key.txt'))).mode & 0o777).toBe(0o600);
  });

  it('never overwrites an existing key file', async () => {
    const before = await readFile(join(dir, 'key.txt'), 'utf8');
    const r = await run(['keygen', '-o', 'key.txt'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.IO);
    expect(r.stderr).toContain('already exists');
    expect(await readFile(join(dir, 'key.txt'), 'utf8')).toBe(before);
  });

  it('makes a post-quantum identity only when asked', async () => {
    const r = await run(['keygen', '--pq'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/AGE-SECRET-KEY-PQ-1/);
    expect(r.stderr).toMatch(/Public key: age1pq1/);
  });
});

describe('sealops seal and unseal', () => {
  it('pipes stdin to stdout and round-trips the manifest byte for byte', async () => {
    const sealed = await run(['seal', '-r', recipient], { cwd: dir, stdin: SECRET_YAML });
    expect(sealed.status).toBe(0);
    expect(sealed.stdout).not.toContain('correct-horse-battery');
    expect(sealed.stdout).toMatch(/^# credentials for the app\napiVersion: v1\nkind: Secret\nmetadata:\n {2}annotations:\n {4}sealops\.dev\/scope: "ENC\[[^\]]*\]"\n {2}name: app\n/);
    const back = await run(['unseal', '-k', 'key.txt', '-'], { cwd: dir, stdin: sealed.stdout });
    expect(back.status).toBe(0);
    expect(back.stdout).toBe(SECRET_YAML);
  });

  it('seals and unseals files in place, reading keys from SOPS_AGE_KEY_FILE', async () => {
    await writeFile(join(dir, 's.yaml'), SECRET_YAML);
    expect((await run(['seal', '-r', recipient, '--in-place', 's.yaml'], { cwd: dir })).status).toBe(0);
    expect(await readFile(join(dir, 's.yaml'), 'utf8')).toContain('sops:\n  age:\n');
    const r = await run(['unseal', '-i', 's.yaml'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: join(dir, 'key.txt') } });
    expect(r.status).toBe(0);
    expect(await readFile(join(dir, 's.yaml'), 'utf8')).toBe(SECRET_YAML);
  });

  it('reads an inline key from SOPS_AGE_KEY', async () => {
    const sealed = await run(['seal', '-r', recipient], { cwd: dir, stdin: SECRET_YAML });
    const key = await readFile(join(dir, 'key.txt'), 'utf8');
    const r = await run(['unseal'], { cwd: dir, stdin: sealed.stdout, env: { SOPS_AGE_KEY: key } });
    expect(r.stdout).toBe(SECRET_YAML);
  });

  it('takes recipients from .sealops.yaml path rules', async () => {
    await writeFile(
      join(dir, '.sealops.yaml'),
      `clusters:\n  prod:\n    recipients: [${recipient}]\nrules:\n  - path: "prod/**"\n    clusters: [prod]\n`,
    );
    await run(['keygen', '-o', 'other.txt'], { cwd: dir });
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'prod', 'apps'), { recursive: true });
    await writeFile(join(dir, 'prod', 'apps', 's.yaml'), SECRET_YAML);
    expect((await run(['seal', '-i', 'prod/apps/s.yaml'], { cwd: dir })).status).toBe(0);
    const r = await run(['unseal', '-k', 'key.txt', 'prod/apps/s.yaml'], { cwd: dir });
    expect(r.stdout).toBe(SECRET_YAML);
    await writeFile(join(dir, 'elsewhere.yaml'), SECRET_YAML);
    const none = await run(['seal', 'elsewhere.yaml'], { cwd: dir });
    expect(none.status).toBe(EXIT_CODES.CONFIG);
  });

  it('exits with a distinct status for a wrong key, a tampered MAC, a tampered value and a missing key file, and never prints a value', async () => {
    const sealed = (await run(['seal', '-r', recipient], { cwd: dir, stdin: SECRET_YAML })).stdout;
    await run(['keygen', '-o', 'wrong.txt'], { cwd: dir });
    const cases: [string, string, string[], number][] = [
      ['wrong key', sealed, ['-k', 'wrong.txt'], EXIT_CODES.KEY],
      ['tampered mac', sealed.replace(/(mac: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A')), ['-k', 'key.txt'], EXIT_CODES.MAC],
      ['changed namespace', sealed.replace('namespace: prod', 'namespace: dev'), ['-k', 'key.txt'], EXIT_CODES.SCOPE],
      ['tampered value', sealed.replace(/(password: "ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A')), ['-k', 'key.txt'], EXIT_CODES.DECRYPT],
      ['missing key file', sealed, ['-k', 'nope.txt'], EXIT_CODES.KEY],
      ['malformed yaml', 'a: "x\n', ['-k', 'key.txt'], EXIT_CODES.INPUT],
    ];
    for (const [what, input, args, status] of cases) {
      await writeFile(join(dir, 'in.yaml'), input);
      const r = await run(['unseal', ...args, '-i', 'in.yaml'], { cwd: dir });
      expect(r.status, what).toBe(status);
      expect(r.stdout, what).toBe('');
      expect(r.stderr, what).toMatch(/^sealops: error: failed to /);
      expect(r.stderr, what).not.toContain('correct-horse-battery');
      expect(r.stderr, what).not.toContain('AGE-SECRET-KEY');
      expect(await readFile(join(dir, 'in.yaml'), 'utf8'), `${what}: nothing written`).toBe(input);
    }
  });

  it('refuses malformed YAML, duplicate keys, an alias bomb and non-string keys when sealing, and writes nothing', async () => {
    const cases: Record<string, string> = {
      malformed: 'apiVersion: v1\nkind: Secret\nstringData:\n  a: "correct-horse-battery\n',
      duplicate: 'apiVersion: v1\nkind: Secret\nstringData:\n  a: correct-horse-battery\n  a: again\n',
      bomb: 'a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n',
      nonString: 'apiVersion: v1\nkind: Secret\nstringData:\n  7: correct-horse-battery\n',
    };
    for (const [what, text] of Object.entries(cases)) {
      await writeFile(join(dir, `${what}.yaml`), text);
      const r = await run(['seal', '-r', recipient, '-i', `${what}.yaml`], { cwd: dir });
      expect(r.status, what).toBe(EXIT_CODES.INPUT);
      expect(r.stderr, what).toMatch(new RegExp(`^sealops: error: failed to (parse|read) ${what}\\.yaml`));
      expect(r.stderr, what).not.toContain('correct-horse-battery');
      expect(await readFile(join(dir, `${what}.yaml`), 'utf8'), what).toBe(text);
    }
  });

  it('picks the dotenv store from the file name and the binary store from --input-type', async () => {
    await writeFile(join(dir, 'app.env'), 'USER=admin\nPASSWORD=correct-horse-battery\n');
    expect((await run(['seal', '-r', recipient, '-i', 'app.env'], { cwd: dir })).status).toBe(0);
    const sealed = await readFile(join(dir, 'app.env'), 'utf8');
    expect(sealed).toMatch(/^USER=ENC\[AES256_GCM,/);
    expect(sealed).toContain('sops_mac=ENC[');
    expect((await run(['unseal', '-k', 'key.txt', 'app.env'], { cwd: dir })).stdout).toBe('USER=admin\nPASSWORD=correct-horse-battery\n');
    const bin = await run(['seal', '-r', recipient, '--input-type', 'binary'], { cwd: dir, stdin: 'raw bytes: correct-horse-battery\n' });
    expect(bin.stdout).not.toContain('correct-horse-battery');
    const back = await run(['unseal', '-k', 'key.txt', '--input-type', 'binary'], { cwd: dir, stdin: bin.stdout });
    expect(back.stdout).toBe('raw bytes: correct-horse-battery\n');
  });

  it('refuses several files without --in-place and an unknown format', async () => {
    expect((await run(['seal', '-r', recipient, 'a.yaml', 'b.yaml'], { cwd: dir })).status).toBe(EXIT_CODES.USAGE);
    expect((await run(['seal', '--format', 'pgp', '-r', recipient], { cwd: dir, stdin: SECRET_YAML })).status).toBe(EXIT_CODES.USAGE);
  });

  it('refuses a file over the size cap and writes nothing', async () => {
    const big = SECRET_YAML + `# ${'x'.repeat(5 * 1024 * 1024)}\n`;
    await writeFile(join(dir, 'big.yaml'), big);
    const r = await run(['seal', '-r', recipient, '-i', 'big.yaml'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.INPUT);
    expect(r.stderr).toContain('cap');
    expect((await stat(join(dir, 'big.yaml'))).size).toBe(Buffer.byteLength(big));
  });
});

describe('caps that agree', () => {
  it('refuses before writing when the sealed form would be over the read cap, and leaves the plaintext file as it was', async () => {
    const { dir: d, cleanup: done, recipient: r } = await keyedTempDir();
    try {
      // 3.2 MB of plaintext seals to about 4.3 MB (base64 and envelope): over the 4 MiB cap.
      const big = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: prod\nstringData:\n  blob: ${'x'.repeat(3_200_000)}\n`;
      await writeFile(join(d, 'big.yaml'), big);
      const res = await run(['seal', '-r', r, '-i', 'big.yaml'], { cwd: d });
      expect(res.status).toBe(EXIT_CODES.INPUT);
      expect(res.stderr).toMatch(/failed to seal big\.yaml: the sealed form is \d+ bytes, over the 4194304-byte cap/);
      expect(res.stderr).toMatch(/hint: nothing was written; split the Secret/);
      expect(await readFile(join(d, 'big.yaml'), 'utf8')).toBe(big);
      // Just under the cap seals, and every command reads it back.
      const fits = big.replace('x'.repeat(3_200_000), 'x'.repeat(3_000_000));
      await writeFile(join(d, 'fits.yaml'), fits);
      expect((await run(['seal', '-r', r, '-i', 'fits.yaml'], { cwd: d })).status).toBe(0);
      expect((await run(['verify', '-k', 'key.txt', 'fits.yaml'], { cwd: d })).status).toBe(0);
      expect((await run(['unseal', '-k', 'key.txt', 'fits.yaml'], { cwd: d })).stdout).toBe(fits);
    } finally {
      await done();
    }
  });
});
