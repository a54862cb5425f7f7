import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/index.js';
import { run, SECRET_YAML, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(() => cleanup());

describe('sealing for clusters of .sealops.yaml', () => {
  it('makes a SealedSecret for a --cluster that has only a certificate, and SOPS for one with recipients', async () => {
    const recipient = (await run(['keygen', '-o', 'age.txt'], { cwd: dir })).stdout.trim();
    await mkdir(join(dir, 'certs'));
    const rsa = await run(['keygen', '--rsa', '-o', 'certs/key.pem', '--cert-out', 'certs/cert.pem'], { cwd: dir });
    expect(rsa.status).toBe(0);
    await writeFile(
      join(dir, '.sealops.yaml'),
      `clusters:\n  legacy:\n    certificate: certs/cert.pem\n  modern:\n    recipients: [${recipient}]\n`,
    );
    await mkdir(join(dir, 'apps'));
    await writeFile(join(dir, 'apps', 's.yaml'), SECRET_YAML);
    const sealed = await run(['seal', '--cluster', 'legacy', 'apps/s.yaml'], { cwd: dir });
    expect(sealed.status).toBe(0);
    expect(sealed.stdout).toContain('kind: SealedSecret');
    expect(sealed.stdout).not.toContain('correct-horse-battery');
    await writeFile(join(dir, 'apps', 'sealed.yaml'), sealed.stdout);
    const back = await run(['unseal', '-k', 'certs/key.pem', 'apps/sealed.yaml'], { cwd: dir });
    expect(back.status).toBe(0);
    expect(back.stdout).toContain(Buffer.from('correct-horse-battery').toString('base64'));

    const sops = await run(['seal', '--cluster', 'modern', 'apps/s.yaml'], { cwd: dir });
    expect(sops.stdout).toContain(`recipient: ${recipient}`);
    expect(await readFile(join(dir, 'apps', 's.yaml'), 'utf8')).toBe(SECRET_YAML);
  }, 120_000);

  it('fails with a config error for an unknown cluster and writes nothing', async () => {
    await writeFile(join(dir, '.sealops.yaml'), 'clusters: {}\n');
    await writeFile(join(dir, 's.yaml'), SECRET_YAML);
    const r = await run(['seal', '--cluster', 'nope', '-i', 's.yaml'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.CONFIG);
    expect(await readFile(join(dir, 's.yaml'), 'utf8')).toBe(SECRET_YAML);
  });
});
