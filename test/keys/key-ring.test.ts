import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { classifyKeySource, EXIT_CODES, generateAgeKeyPair, generateRsaKeyPair, KeyError, loadKeyRing } from '../../src/index.js';
import { run, tempDir } from '../cli/helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
});
afterEach(() => cleanup());

describe('classifyKeySource', () => {
  it('tells identities, RSA keys, recipients, certificates and empty files apart', async () => {
    const age = await generateAgeKeyPair();
    const rsa = await generateRsaKeyPair({ days: 1 });
    expect(classifyKeySource(`# created: x\n${age.identity}\n`)).toBe('age-identity');
    expect(classifyKeySource(rsa.privateKeyPem)).toBe('rsa-private-key');
    expect(classifyKeySource(`${age.recipient}\n`)).toBe('age-recipient');
    expect(classifyKeySource(rsa.certificatePem)).toBe('certificate');
    expect(classifyKeySource('\n# only a comment\n  \n')).toBe('empty');
    expect(classifyKeySource('hello')).toBe('unknown');
  });
});

describe('loadKeyRing', () => {
  it('loads age identities and RSA keys from -k files into one ring', async () => {
    const age = await generateAgeKeyPair();
    const rsa = await generateRsaKeyPair({ days: 1 });
    await writeFile(join(dir, 'a.txt'), `${age.identity}\n`);
    await writeFile(join(dir, 'k.pem'), rsa.privateKeyPem);
    const ring = await loadKeyRing({ keyFiles: ['a.txt', 'k.pem'], cwd: dir, env: {} });
    expect(ring.ageIdentities).toEqual([age.identity]);
    expect(ring.rsaKeys).toHaveLength(1);
    expect(ring.sources).toEqual(['a.txt', 'k.pem']);
  });

  it('names a recipient given as -k as a recipient, an empty file as empty, a certificate as a certificate', async () => {
    const age = await generateAgeKeyPair();
    const rsa = await generateRsaKeyPair({ days: 1 });
    await writeFile(join(dir, 'recipient.txt'), `${age.recipient}\n`);
    await writeFile(join(dir, 'empty.txt'), '');
    await writeFile(join(dir, 'cert.pem'), rsa.certificatePem);
    await expect(loadKeyRing({ keyFiles: ['recipient.txt'], cwd: dir })).rejects.toThrow(
      'failed to read key file recipient.txt: it holds an age recipient (a public key), not an identity',
    );
    await expect(loadKeyRing({ keyFiles: ['empty.txt'], cwd: dir })).rejects.toThrow('failed to read key file empty.txt: no identity in it');
    await expect(loadKeyRing({ keyFiles: ['cert.pem'], cwd: dir })).rejects.toThrow(KeyError);
    await expect(loadKeyRing({ keyFiles: ['cert.pem'], cwd: dir })).rejects.toThrow(/holds a certificate or public key, not a private key/);
  });

  it('says so through the CLI with the key exit status and a hint, never printing the file', async () => {
    const age = await generateAgeKeyPair();
    await writeFile(join(dir, 'recipient.txt'), `${age.recipient}\n`);
    const r = await run(['unseal', '-k', 'recipient.txt', '-'], { cwd: dir, stdin: 'a: 1\n' });
    expect(r.status).toBe(EXIT_CODES.KEY);
    expect(r.stderr).toBe(
      'sealops: error: failed to read key file recipient.txt: it holds an age recipient (a public key), not an identity\n' +
        'sealops: hint: -k takes the private key file (AGE-SECRET-KEY-1…, from sealops keygen -o); recipients go to seal -r\n',
    );
  });
});
