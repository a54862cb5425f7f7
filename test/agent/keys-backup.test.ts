// Opening a key backup: the real age CLI encrypts bundles here, so the reader is checked against
// the format's reference tool; a wrong recipient, a cut or tampered file and a bundle that does not
// match its fingerprints are refused with a clear error that quotes no key.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateClusterKeyEntries, publicKeysOf } from '../../src/agent/keys.js';
import { openBackup } from '../../src/agent/keys-backup.js';
import { keySetFingerprint } from '../../src/keys/fingerprint.js';
import { peerPath } from '../support/peers.js';
import { ageKeygen, withTempDir } from '../support/age-keygen.js';

const withDir = withTempDir;

function identity(): { text: string; recipient: string } {
  const { file, recipient } = ageKeygen();
  return { text: file, recipient };
}

/** A bundle encrypted (armored) by the real age CLI. */
function ageEncrypt(json: string, recipient: string): string {
  return withDir((dir) => {
    writeFileSync(join(dir, 'b.json'), json);
    return execFileSync(peerPath('age'), ['-a', '-r', recipient, join(dir, 'b.json')], { encoding: 'utf8' });
  });
}

const idOf = (text: string): string => text.split('\n').find((l) => l.startsWith('AGE-SECRET-KEY-'))!;

describe('openBackup', async () => {
  const entries = await generateClusterKeyEntries({ rsaBits: 2048, days: 30 });
  const fingerprint = keySetFingerprint(await publicKeysOf(entries));
  const admin = identity();
  const bundle = (fp = fingerprint): string => JSON.stringify({ kind: 'sealops-key-backup', version: 1, sets: [{ name: 'sealops-keys', fingerprint: fp, createdAt: '2026-01-01T00:00:00Z', entries }] });
  const privateLine = idOf(entries['cluster.agekey']!);

  it('opens a backup the real age wrote for the admin identity', async () => {
    const sets = await openBackup(Buffer.from(ageEncrypt(bundle(), admin.recipient)), [idOf(admin.text)]);
    expect(sets).toEqual([{ name: 'sealops-keys', fingerprint, createdAt: '2026-01-01T00:00:00Z', entries }]);
  });

  it('refuses a backup for another recipient, a cut one, a tampered one and a bundle that does not match its fingerprint, quoting no key', async () => {
    const armored = ageEncrypt(bundle(), admin.recipient);
    const other = identity();
    const lines = armored.trimEnd().split('\n');
    const cut = [...lines.slice(0, Math.max(2, lines.length - 4)), lines.at(-1)!].join('\n');
    const body = lines.slice(1, -1).join('');
    const flipped = Buffer.from(body, 'base64');
    flipped.writeUInt8(flipped.readUInt8(flipped.length - 5) ^ 1, flipped.length - 5);
    const tampered = `${lines[0]}\n${flipped.toString('base64').replace(/(.{64})/g, '$1\n')}\n${lines.at(-1)}\n`;
    const cases: [string, Uint8Array, string[], RegExp][] = [
      ['other recipient', Buffer.from(armored), [idOf(other.text)], /not encrypted to the given identity/],
      ['no identity', Buffer.from(armored), [], /no age identity given/],
      ['cut', Buffer.from(cut), [idOf(admin.text)], /failed to read backup: (truncated|not an age file)/],
      ['tampered', Buffer.from(tampered), [idOf(admin.text)], /failed to read backup: truncated or tampered/],
      ['not age', Buffer.from('hello'), [idOf(admin.text)], /failed to read backup: not an age file/],
      ['wrong fingerprint', Buffer.from(ageEncrypt(bundle('ks-0000000000000000'), admin.recipient)), [idOf(admin.text)], /does not match its fingerprint/],
      ['not a bundle', Buffer.from(ageEncrypt('{"kind":"other"}', admin.recipient)), [idOf(admin.text)], /not a sealops key backup/],
    ];
    for (const [what, input, ids, message] of cases) {
      const err = await openBackup(input, ids).then(
        () => new Error(`${what}: opened`),
        (e: unknown) => e as Error,
      );
      expect(err.message, what).toMatch(message);
      expect(err.message, what).not.toContain(privateLine);
      expect(err.message, what).not.toContain('PRIVATE KEY');
    }
  });
});
