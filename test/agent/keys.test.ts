// The cluster key set the agent makes, and the public halves it derives from a keys Secret's
// entries. Age identities are checked against Debian's real `age-keygen -y` and `age`; the RSA
// key and certificate against node:crypto's X.509 parser.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateClusterKeyEntries, publicKeysConfigMapData, publicKeysOf } from '../../src/agent/keys.js';
import { Logger } from '../../src/agent/log.js';
import { generateRsaKeyPair } from '../../src/keys/rsa-keygen.js';
import { peerPath } from '../support/peers.js';
import { ageKeygen, withTempDir } from '../support/age-keygen.js';

const withDir = withTempDir;

describe('generateClusterKeyEntries', () => {
  it('makes an age-keygen style identity file that the real age reads, and a 4096-bit RSA key with its ~10-year self-signed certificate', async () => {
    const now = new Date('2026-11-25T12:00:00Z');
    const entries = await generateClusterKeyEntries({ now });
    expect(Object.keys(entries).sort()).toEqual(['cluster.agekey', 'cluster.crt', 'cluster.pem']);
    const agekey = entries['cluster.agekey']!;
    expect(agekey).toMatch(/^# created: 2026-11-25T12:00:00Z\n# public key: age1[0-9a-z]{58}\nAGE-SECRET-KEY-1[0-9A-Z]{58}\n$/);
    const printed = /# public key: (\S+)/.exec(agekey)![1]!;
    withDir((dir) => {
      writeFileSync(join(dir, 'id.txt'), agekey, { mode: 0o600 });
      expect(execFileSync(peerPath('age-keygen'), ['-y', join(dir, 'id.txt')], { encoding: 'utf8' }).trim()).toBe(printed);
      const sealed = execFileSync(peerPath('age'), ['-r', printed], { input: 'round trip' });
      writeFileSync(join(dir, 'msg.age'), sealed);
      expect(execFileSync(peerPath('age'), ['-d', '-i', join(dir, 'id.txt'), join(dir, 'msg.age')], { encoding: 'utf8' })).toBe('round trip');
    });
    const key = createPrivateKey(entries['cluster.pem']!);
    expect(entries['cluster.pem']).toContain('-----BEGIN RSA PRIVATE KEY-----');
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(4096);
    const cert = new X509Certificate(entries['cluster.crt']!);
    expect(cert.subject).toBe('CN=sealops');
    expect(cert.issuer).toBe(cert.subject);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.export({ type: 'spki', format: 'der' }).equals(createPublicKey(key).export({ type: 'spki', format: 'der' }))).toBe(true);
    const years = (Date.parse(cert.validTo) - Date.parse(cert.validFrom)) / (365.25 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    expect(entries['cluster.crt']).not.toContain('PRIVATE KEY');
  });
});

describe('publicKeysOf', () => {
  it('gives one recipient per age identity of every .agekey entry, without duplicates, and each .crt certificate', async () => {
    const a = ageKeygen();
    const b = ageKeygen();
    const rsa = await generateRsaKeyPair({ bits: 2048 });
    const keys = await publicKeysOf({
      'a.agekey': a.file,
      'b.agekey': `${b.file}${a.file}`,
      'cluster.pem': rsa.privateKeyPem,
      'cluster.crt': rsa.certificatePem,
      'notes.txt': 'ignored',
    });
    expect(keys.recipients).toEqual([a.recipient, b.recipient]);
    expect(keys.certificates).toEqual([rsa.certificatePem.replace(/\r\n/g, '\n').trimEnd() + '\n']);
    const data = publicKeysConfigMapData(keys);
    expect(data['recipients.txt']).toBe(`${a.recipient}\n${b.recipient}\n`);
    expect(new X509Certificate(data['cert.pem']!).publicKey.export({ type: 'spki', format: 'pem' })).toBe(rsa.publicKey.export({ type: 'spki', format: 'pem' }));
  });

  it('derives no certificate from a .pem key that has no .crt entry', async () => {
    const rsa = await generateRsaKeyPair({ bits: 2048 });
    const keys = await publicKeysOf({ 'old.pem': rsa.privateKeyPem });
    expect(keys).toEqual({ recipients: [], certificates: [] });
  });

  it('never publishes a private key pasted into a .crt entry, and skips a broken .agekey, logging only entry names', async () => {
    const rsa = await generateRsaKeyPair({ bits: 2048 });
    const bad = 'AGE-SECRET-KEY-1NOTAKEY\n';
    const lines: string[] = [];
    const keys = await publicKeysOf({ 'wrong.crt': rsa.privateKeyPem, 'broken.agekey': bad }, new Logger((l) => lines.push(l)));
    expect(keys).toEqual({ recipients: [], certificates: [] });
    const log = lines.join('');
    expect(log).toContain('wrong.crt');
    expect(log).toContain('broken.agekey');
    expect(log).not.toContain('NOTAKEY');
    expect(log).not.toContain(rsa.privateKeyPem.split('\n')[1]!);
  });
});
