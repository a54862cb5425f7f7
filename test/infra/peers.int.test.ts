/**
 * Proof that the interop peers found by test/support/peers.ts are the real tools and work on
 * this machine: the Debian age CLI, sops (built from the Go module proxy) with an age key, and
 * kubeseal sealing a Secret with a certificate made by openssl, then recovering it offline.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { peerPath } from '../support/peers.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a binary in the scratch folder with a small environment; never throws on exit codes. */
function run(bin: string, args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      args,
      {
        cwd: dir,
        encoding: 'utf8',
        // No kubeconfig, no home config: the peers must work offline from their arguments alone.
        env: { PATH: process.env.PATH, HOME: dir, KUBECONFIG: join(dir, 'no-kubeconfig'), SOPS_DISABLE_VERSION_CHECK: '1', ...options.env },
      },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(new Error(`failed to run ${bin}: ${err.message}`, { cause: err }));
        else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
    // A tool that exits without reading stdin closes the pipe early; that EPIPE is not a failure.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

let dir: string;
let ageKeyFile: string;
let recipient: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealops-peers-'));
  ageKeyFile = join(dir, 'age.key');
  const gen = await run(peerPath('age-keygen'), ['-o', ageKeyFile]);
  expect(gen.code).toBe(0);
  // age-keygen writes "# public key: age1…" into the key file itself.
  recipient = /public key: (age1[0-9a-z]+)/i.exec(readFileSync(ageKeyFile, 'utf8'))?.[1] ?? '';
  expect(recipient).toMatch(/^age1/);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('age CLI', () => {
  it('decrypts what it encrypted to the generated recipient', async () => {
    const enc = await run(peerPath('age'), ['-r', recipient, '-a'], { input: 'hello age\n' });
    expect(enc.code).toBe(0);
    expect(enc.stdout).toContain('-----BEGIN AGE ENCRYPTED FILE-----');
    writeFileSync(join(dir, 'msg.age'), enc.stdout);
    const dec = await run(peerPath('age'), ['-d', '-i', ageKeyFile, join(dir, 'msg.age')]);
    expect(dec.stdout).toBe('hello age\n');
  });
});

describe('sops', () => {
  it('encrypts a YAML file for an age recipient and decrypts it with the key', async () => {
    const plain = join(dir, 'secret.yaml');
    writeFileSync(plain, 'apiVersion: v1\nkind: Secret\nstringData:\n  password: hunter2-peer\n');
    const enc = await run(peerPath('sops'), ['--encrypt', '--age', recipient, '--encrypted-regex', '^(data|stringData)$', plain]);
    expect(enc.stderr).toBe('');
    expect(enc.code).toBe(0);
    expect(enc.stdout).not.toContain('hunter2-peer');
    const doc = parse(enc.stdout) as { kind: string; stringData: { password: string }; sops: { age: { recipient: string }[] } };
    expect(doc.kind).toBe('Secret');
    expect(doc.stringData.password).toMatch(/^ENC\[AES256_GCM,data:/);
    expect(doc.sops.age[0]?.recipient).toBe(recipient);

    const sealed = join(dir, 'secret.enc.yaml');
    writeFileSync(sealed, enc.stdout);
    const dec = await run(peerPath('sops'), ['--decrypt', sealed], { env: { SOPS_AGE_KEY_FILE: ageKeyFile } });
    expect(dec.code).toBe(0);
    expect((parse(dec.stdout) as { stringData: { password: string } }).stringData.password).toBe('hunter2-peer');
  });

  it('refuses to decrypt without the matching age key', async () => {
    const other = join(dir, 'other.key');
    await run(peerPath('age-keygen'), ['-o', other]);
    const plain = join(dir, 'other-secret.yaml');
    writeFileSync(plain, 'password: hunter2-other\n');
    const enc = await run(peerPath('sops'), ['--encrypt', '--age', recipient, plain]);
    writeFileSync(join(dir, 'other.enc.yaml'), enc.stdout);
    const dec = await run(peerPath('sops'), ['--decrypt', join(dir, 'other.enc.yaml')], { env: { SOPS_AGE_KEY_FILE: other } });
    expect(dec.code).not.toBe(0);
    expect(dec.stdout).not.toContain('hunter2-other');
  });
});

describe('kubeseal', () => {
  it('seals a Secret with an openssl certificate and recovers it with the private key', async () => {
    const key = join(dir, 'tls.key');
    const cert = join(dir, 'tls.crt');
    const ssl = await run('openssl', [
      'req', '-x509', '-newkey', 'rsa:4096', '-nodes', '-keyout', key, '-out', cert,
      '-subj', '/O=sealed-secret/CN=sealed-secret', '-days', '1',
    ]);
    expect(ssl.code).toBe(0);
    const secret = [
      'apiVersion: v1',
      'kind: Secret',
      'metadata: {name: db, namespace: apps}',
      'data:',
      `  password: ${Buffer.from('hunter2-kubeseal').toString('base64')}`,
      '',
    ].join('\n');
    const sealed = await run(peerPath('kubeseal'), ['--cert', cert, '--format', 'yaml'], { input: secret });
    expect(sealed.stderr).toBe('');
    expect(sealed.code).toBe(0);
    expect(sealed.stdout).not.toContain(Buffer.from('hunter2-kubeseal').toString('base64'));
    const doc = parse(sealed.stdout) as { kind: string; metadata: { name: string; namespace: string }; spec: { encryptedData: Record<string, string> } };
    expect(doc.kind).toBe('SealedSecret');
    expect(doc.metadata).toMatchObject({ name: 'db', namespace: 'apps' });
    expect(Object.keys(doc.spec.encryptedData)).toEqual(['password']);

    writeFileSync(join(dir, 'sealed.yaml'), sealed.stdout);
    const back = await run(peerPath('kubeseal'), ['--recovery-unseal', '--recovery-private-key', key, '--format', 'yaml', '-f', join(dir, 'sealed.yaml')]);
    expect(back.code).toBe(0);
    const recovered = parse(back.stdout) as { data: { password: string } };
    expect(Buffer.from(recovered.data.password, 'base64').toString()).toBe('hunter2-kubeseal');
  });

  it('is the release the build script pinned, and so is the controller', async () => {
    const pinned = readFileSync(`${peerPath('kubeseal')}.version`, 'utf8').trim();
    expect((await run(peerPath('kubeseal'), ['--version'])).stdout).toContain(pinned);
    expect((await run(peerPath('sealed-secrets-controller'), ['--version'])).stdout).toContain(pinned);
  });
});
