/**
 * The SealedSecret side of the CLI, run in-process through runCli: keygen --rsa, seal
 * --format sealedsecret, unseal and verify of SealedSecrets, with exit codes and messages.
 */
import { type KeyObject } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { run as runInProcess } from './helpers.js';
import { detectFormat, formatFor, generateRsaKeyPair, loadKeyRing, loadRsaPrivateKeys, rsaFingerprint } from '../../src/index.js';
import { decodeValue } from '../formats/sealedsecret/independent-decoder.js';
import { rsaKeyPair } from '../support/rsa.js';

/** The shared in-process runner, with the exit status named `code` as these tests read it. */
async function sealops(argv: string[], options: { cwd: string; stdin?: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number; stdout: string; stderr: string }> {
  const { status, stdout, stderr } = await runInProcess(argv, options);
  return { code: status, stdout, stderr };
}

/** The problems the format layer finds in a SealedSecret file, with the keys of `keyFiles`. */
async function verifyFile(file: string, keyFiles: string[]): Promise<string[]> {
  const text = readFileSync(join(dir, file), 'utf8');
  const keys = await loadKeyRing({ keyFiles, cwd: dir, env: {} });
  const sealed = { text, source: file, format: detectFormat({ path: file, text }) };
  expect(sealed.format.kind).toBe('sealedsecret');
  return formatFor(sealed.format).verify(sealed, { keys });
}

const PASSWORD = 'correct-horse-battery-staple';
const secretYaml = stringify({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'ns-a', labels: { app: 'web' } },
  type: 'Opaque',
  stringData: { password: PASSWORD, user: 'admin' },
});

let dir: string;
let privateKey: KeyObject;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sealops-cli-ss-'));
  const run = await sealops(['keygen', '--rsa', '-o', 'key.pem', '--cert-out', 'cert.pem', '--cn', 'test-cluster', '--days', '30'], { cwd: dir });
  expect(run.code).toBe(0);
  privateKey = loadRsaPrivateKeys(readFileSync(join(dir, 'key.pem'), 'utf8'))[0]!;
});

describe('sealops keygen --rsa', () => {
  it('writes an RSA-4096 key with mode 0600 and a certificate with the common name and validity, and prints the fingerprint', () => {
    expect(statSync(join(dir, 'key.pem')).mode & 0o777).toBe(0o600);
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(4096);
    const text = execFileSync('openssl', ['x509', '-noout', '-subject', '-startdate', '-enddate'], { input: readFileSync(join(dir, 'cert.pem')) }).toString();
    expect(text).toMatch(/subject=CN\s*=\s*test-cluster/);
    const start = new Date(/notBefore=(.*)/.exec(text)![1]!);
    const end = new Date(/notAfter=(.*)/.exec(text)![1]!);
    expect(Math.round((end.getTime() - start.getTime()) / 86_400_000)).toBe(30);
  });

  it('never overwrites an existing key or certificate, and writes nothing when it refuses', async () => {
    const before = readFileSync(join(dir, 'key.pem'));
    const run = await sealops(['keygen', '--rsa', '-o', 'key.pem', '--cert-out', 'new-cert.pem'], { cwd: dir });
    expect(run.code).toBe(7);
    expect(run.stderr).toMatch(/sealops: error: failed to generate rsa key: .*key.pem already exists/);
    expect(readFileSync(join(dir, 'key.pem'))).toEqual(before);
    expect(existsSync(join(dir, 'new-cert.pem'))).toBe(false);
    const certRun = await sealops(['keygen', '--rsa', '-o', 'new-key.pem', '--cert-out', 'cert.pem'], { cwd: dir });
    expect(certRun.code).toBe(7);
    expect(existsSync(join(dir, 'new-key.pem'))).toBe(false);
  });
});

describe('sealops keygen --rsa -o -', () => {
  it('refuses stdout as the key file instead of writing a file named -', async () => {
    const run = await sealops(['keygen', '--rsa', '-o', '-', '--cert-out', 'c-dash.pem'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^sealops: error: failed to generate rsa key: --rsa needs -o KEY.pem and --cert-out CERT.pem \(files, not stdout\)$/m);
    expect(run.stdout).toBe('');
    expect(existsSync(join(dir, '-'))).toBe(false);
    expect(existsSync(join(dir, 'c-dash.pem'))).toBe(false);
  });
});

describe('sealops seal --format sealedsecret', () => {
  it('seals a Secret from stdin into a SealedSecret that the independent decoder opens', async () => {
    const run = await sealops(['seal', '--format', 'sealedsecret', '--cert', 'cert.pem'], { cwd: dir, stdin: secretYaml });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout.startsWith('---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\n')).toBe(true);
    expect(run.stdout).not.toContain(PASSWORD);
    const sealed = parse(run.stdout);
    expect(decodeValue(privateKey, sealed.spec.encryptedData.password, 'ns-a/db').toString()).toBe(PASSWORD);
  });

  it('seals every Secret of a multi-document file and of a JSON List, one SealedSecret each', async () => {
    const two = `${secretYaml}---\n${stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'api', namespace: 'ns-b' }, stringData: { token: 't' } })}`;
    const run = await sealops(['seal', '--cert', 'cert.pem'], { cwd: dir, stdin: two });
    expect(run.code).toBe(0);
    const docs = run.stdout.split(/^---\n/m).filter(Boolean).map((d) => parse(d) as { metadata: { name: string; namespace: string }; spec: { encryptedData: Record<string, string> } });
    expect(docs.map((d) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual(['ns-a/db', 'ns-b/api']);
    expect(decodeValue(privateKey, docs[1]!.spec.encryptedData.token!, 'ns-b/api').toString()).toBe('t');
    const list = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [parse(secretYaml)] });
    const fromList = await sealops(['seal', '--cert', 'cert.pem'], { cwd: dir, stdin: list });
    expect(parse(fromList.stdout).metadata.name).toBe('db');
  });

  it('refuses a document that is not a Secret and prints nothing', async () => {
    const mixed = `${secretYaml}---\n${stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } })}`;
    const run = await sealops(['seal', '--cert', 'cert.pem'], { cwd: dir, stdin: mixed });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/document 2 is a ConfigMap, not a Secret/);
  });

  it('writes the scope annotation and the matching label for --scope namespace-wide', async () => {
    const run = await sealops(['seal', '--cert', 'cert.pem', '--scope', 'namespace-wide'], { cwd: dir, stdin: secretYaml });
    expect(run.code).toBe(0);
    const sealed = parse(run.stdout);
    expect(sealed.metadata.annotations).toEqual({ 'sealedsecrets.bitnami.com/namespace-wide': 'true' });
    expect(decodeValue(privateKey, sealed.spec.encryptedData.user, 'ns-a').toString()).toBe('admin');
  });

  it('warns about an expired certificate on stderr and still seals', async () => {
    const old = await generateRsaKeyPair({ bits: 2048, days: 1, notBefore: new Date('2021-03-01T00:00:00Z') });
    writeFileSync(join(dir, 'expired.pem'), old.certificatePem);
    const run = await sealops(['seal', '--cert', 'expired.pem'], { cwd: dir, stdin: secretYaml });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^sealops: warning: certificate expired.pem expired on 2021-03-02/);
    expect(parse(run.stdout).kind).toBe('SealedSecret');
  });

  it('refuses a certificate that is not RSA with exit 3 and writes nothing to stdout', async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ec.key'), '-out', join(dir, 'ec.pem'), '-subj', '/CN=ec', '-days', '1'], { stdio: 'pipe' });
    const run = await sealops(['seal', '--cert', 'ec.pem'], { cwd: dir, stdin: secretYaml });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/expected an RSA public key, got ec/);
  });

  it('refuses a Secret without a namespace with exit 2 and a hint, never echoing a value', async () => {
    const noNs = stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: PASSWORD } });
    const run = await sealops(['seal', '--cert', 'cert.pem'], { cwd: dir, stdin: noNs });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/no metadata.namespace/);
    expect(run.stderr).toMatch(/sealops: hint: set metadata.namespace, or seal with --scope cluster-wide/);
    expect(run.stderr + run.stdout).not.toContain(PASSWORD);
  });

  it('merges a new key into an existing SealedSecret file in place, keeping the other ciphertexts', async () => {
    const first = await sealops(['seal', '--cert', 'cert.pem'], { cwd: dir, stdin: secretYaml });
    writeFileSync(join(dir, 'merge.yaml'), first.stdout);
    const update = stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns-a' }, stringData: { token: 'abc' } });
    const run = await sealops(['seal', '--cert', 'cert.pem', '--merge-into', 'merge.yaml'], { cwd: dir, stdin: update });
    expect(run.code).toBe(0);
    const merged = parse(readFileSync(join(dir, 'merge.yaml'), 'utf8'));
    const original = parse(first.stdout);
    expect(merged.spec.encryptedData.password).toBe(original.spec.encryptedData.password);
    expect(decodeValue(privateKey, merged.spec.encryptedData.token, 'ns-a/db').toString()).toBe('abc');
  });
});

describe('sealops seal --merge-into with several inputs', () => {
  it('merges every input into the target, leaves the inputs untouched and prints nothing to stdout', async () => {
    const first = await sealops(['seal', '--cert', 'cert.pem'], { cwd: dir, stdin: secretYaml });
    writeFileSync(join(dir, 'target.yaml'), first.stdout);
    const inputs = ['a', 'b', 'c'].map((k) => {
      const text = stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns-a' }, stringData: { [`key-${k}`]: `value-${k}` } });
      writeFileSync(join(dir, `in-${k}.yaml`), text);
      return text;
    });
    const run = await sealops(['seal', '--cert', 'cert.pem', '--merge-into', 'target.yaml', 'in-a.yaml', 'in-b.yaml', 'in-c.yaml'], { cwd: dir });
    expect(run.stderr).toBe('sealops: merged 3 Secrets into target.yaml\n');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('');
    const merged = parse(readFileSync(join(dir, 'target.yaml'), 'utf8'));
    for (const k of ['a', 'b', 'c']) expect(decodeValue(privateKey, merged.spec.encryptedData[`key-${k}`], 'ns-a/db').toString()).toBe(`value-${k}`);
    expect(merged.spec.encryptedData.password).toBe(parse(first.stdout).spec.encryptedData.password);
    ['a', 'b', 'c'].forEach((k, i) => expect(readFileSync(join(dir, `in-${k}.yaml`), 'utf8')).toBe(inputs[i]));
  });

  it('refuses --merge-into with --in-place before writing anything', async () => {
    const first = await sealops(['seal', '--cert', 'cert.pem'], { cwd: dir, stdin: secretYaml });
    writeFileSync(join(dir, 'target2.yaml'), first.stdout);
    writeFileSync(join(dir, 'plain.yaml'), secretYaml);
    const run = await sealops(['seal', '--cert', 'cert.pem', '--merge-into', 'target2.yaml', '--in-place', 'plain.yaml'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^sealops: error: failed to parse arguments: --merge-into writes its FILE; --in-place would overwrite the inputs$/m);
    expect(readFileSync(join(dir, 'target2.yaml'), 'utf8')).toBe(first.stdout);
    expect(readFileSync(join(dir, 'plain.yaml'), 'utf8')).toBe(secretYaml);
  });

  it('writes nothing when one of the inputs is not a Secret', async () => {
    const first = await sealops(['seal', '--cert', 'cert.pem'], { cwd: dir, stdin: secretYaml });
    writeFileSync(join(dir, 'target3.yaml'), first.stdout);
    writeFileSync(join(dir, 'ok.yaml'), secretYaml);
    writeFileSync(join(dir, 'cm.yaml'), stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }));
    const run = await sealops(['seal', '--cert', 'cert.pem', '--merge-into', 'target3.yaml', 'ok.yaml', 'cm.yaml'], { cwd: dir });
    expect(run.code).toBe(2);
    expect(readFileSync(join(dir, 'target3.yaml'), 'utf8')).toBe(first.stdout);
  });
});

describe('sealops unseal (SealedSecret)', () => {
  let sealedText: string;

  beforeAll(async () => {
    sealedText = (await sealops(['seal', '--cert', 'cert.pem'], { cwd: dir, stdin: secretYaml })).stdout;
    writeFileSync(join(dir, 'sealed.yaml'), sealedText);
  });

  it('unseals with -k KEY.pem into a plain Secret', async () => {
    const run = await sealops(['unseal', 'sealed.yaml', '-k', 'key.pem'], { cwd: dir });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const secret = parse(run.stdout);
    expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: 'ns-a', labels: { app: 'web' } }, type: 'Opaque' });
    expect(Buffer.from(secret.data.password, 'base64').toString()).toBe(PASSWORD);
  });

  it('unseals with the controller key Secret as the key file, and with SEALOPS_KEY_FILE', async () => {
    writeFileSync(
      join(dir, 'key-secret.yaml'),
      stringify({ apiVersion: 'v1', kind: 'Secret', type: 'kubernetes.io/tls', metadata: { name: 'k' }, data: { 'tls.key': readFileSync(join(dir, 'key.pem')).toString('base64') } }),
    );
    expect((await sealops(['unseal', 'sealed.yaml', '-k', 'key-secret.yaml'], { cwd: dir })).code).toBe(0);
    const viaEnv = await sealops(['unseal'], { cwd: dir, stdin: sealedText, env: { SEALOPS_KEY_FILE: join(dir, 'key.pem') } });
    expect(viaEnv.code).toBe(0);
    expect(parse(viaEnv.stdout).kind).toBe('Secret');
  });

  it('fails with exit 3 for a wrong key, listing the key by fingerprint and printing no value', async () => {
    const other = rsaKeyPair(2048).privateKey;
    writeFileSync(join(dir, 'other.pem'), other.export({ type: 'pkcs1', format: 'pem' }));
    const run = await sealops(['unseal', 'sealed.yaml', '-k', 'other.pem'], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(rsaFingerprint(other));
    expect(run.stderr).not.toContain(PASSWORD);
  });

  it('fails with exit 5 for a tampered value', async () => {
    const sealed = parse(sealedText);
    const raw = Buffer.from(sealed.spec.encryptedData.password, 'base64');
    raw[raw.length - 1]! ^= 1;
    sealed.spec.encryptedData.password = raw.toString('base64');
    const run = await sealops(['unseal', '-k', 'key.pem'], { cwd: dir, stdin: stringify(sealed) });
    expect(run.code).toBe(5);
    expect(run.stderr).toMatch(/failed to unseal ns-a\/db key password: .*authentication failed/);
    expect(run.stdout).toBe('');
  });
});

describe('sealops verify (SealedSecret)', () => {
  it('passes a good SealedSecret without keys', async () => {
    const without = await sealops(['verify', 'sealed.yaml'], { cwd: dir });
    expect(without.code).toBe(0);
    expect(without.stdout).toBe('ok sealed.yaml (no key given: structure and recipients only, values not opened)\n');
  });

  it('passes a good SealedSecret with the right key, opening every value', async () => {
    expect(await verifyFile('sealed.yaml', ['key.pem'])).toEqual([]);
    const run = await sealops(['verify', '-k', 'key.pem', 'sealed.yaml'], { cwd: dir });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('ok sealed.yaml\n');
  });

  it('exits 3, never a keyless ok, when the -k file holds no private key', async () => {
    writeFileSync(join(dir, 'empty.pem'), '');
    const run = await sealops(['verify', '-k', 'empty.pem', 'sealed.yaml'], { cwd: dir });
    expect(run.code).toBe(3);
    expect(run.stdout).toBe('');
  });

  it('exits 1 through the CLI when the RSA key given with -k opens no value', async () => {
    const run = await sealops(['verify', '-k', 'other.pem', 'sealed.yaml'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL sealed.yaml: .*no key matches/m);
  });

  it('exits 1 for a SealedSecret missing its template, naming the problem', async () => {
    const sealed = parse(readFileSync(join(dir, 'sealed.yaml'), 'utf8'));
    delete sealed.spec.template;
    writeFileSync(join(dir, 'no-template.yaml'), stringify(sealed));
    const run = await sealops(['verify', 'no-template.yaml'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/FAIL no-template.yaml: .*spec.template is missing/);
  });

  it('fails when the key does not open the values, one problem per value', async () => {
    const problems = await verifyFile('sealed.yaml', ['other.pem']);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^sealed.yaml: SealedSecret ns-a\/db: spec.encryptedData.password: no key matches/);
  });
});
