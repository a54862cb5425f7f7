// Interop with the real age CLI (Debian package `age`): data keys wrapped by sealops open with
// `age -d`, stanzas made by `age -r` open in sealops, and key files travel both ways.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair, formatAgeKeyFile, parseAgeIdentities, readSopsMetadata, sealSops, unsealSopsForEdit, ageRecipientOf } from '../../src/index.js';
import { unwrapDataKey, wrapDataKey } from '../../src/crypto/age.js';
import { peerPath } from '../support/peers.js';
import { decryptPayload, encryptX25519, parseAgeFile, unwrapX25519 } from '../../src/crypto/age-x25519.js';

const dir = mkdtempSync(join(tmpdir(), 'sealops-age-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const age = (args: string[], input?: Buffer): Buffer => execFileSync(peerPath('age'), args, { input, stdio: ['pipe', 'pipe', 'pipe'] });

describe('interop with the age CLI', () => {
  it('opens a data key wrapped by sealops with age -d', async () => {
    const pair = await generateAgeKeyPair();
    const keyFile = join(dir, 'k1.txt');
    writeFileSync(keyFile, formatAgeKeyFile(pair.identity, pair.recipient), { mode: 0o600 });
    const dataKey = randomBytes(32);
    const armored = await wrapDataKey(dataKey, pair.recipient);
    expect(armored).toMatch(/^-----BEGIN AGE ENCRYPTED FILE-----\n/);
    expect(age(['-d', '-i', keyFile], Buffer.from(armored)).equals(dataKey)).toBe(true);
  });

  it('opens a stanza made by age -r in sealops, with a key made by age-keygen', async () => {
    const keyFile = join(dir, 'k2.txt');
    execFileSync(peerPath('age-keygen'), ['-o', keyFile], { stdio: 'pipe' });
    const identities = parseAgeIdentities(readFileSync(keyFile, 'utf8'));
    expect(identities).toHaveLength(1);
    const recipient = await ageRecipientOf(identities[0]!);
    expect(readFileSync(keyFile, 'utf8')).toContain(`# public key: ${recipient}`);
    const dataKey = randomBytes(32);
    const armored = age(['-r', recipient, '-a'], dataKey).toString('utf8');
    const opened = await unwrapDataKey(armored, identities);
    expect(opened && Buffer.from(opened).equals(dataKey)).toBe(true);
    const other = await generateAgeKeyPair();
    expect(await unwrapDataKey(armored, [other.identity])).toBeNull();
  });

  it('stores in sops.age a stanza that age -d opens to the data key of the file', async () => {
    const pair = await generateAgeKeyPair();
    const keyFile = join(dir, 'k3.txt');
    writeFileSync(keyFile, formatAgeKeyFile(pair.identity, pair.recipient), { mode: 0o600 });
    const sealed = await sealSops('apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\nstringData:\n  a: b\n', { recipients: [pair.recipient] });
    const enc = readSopsMetadata(sealed).age[0]!.enc;
    const viaAge = age(['-d', '-i', keyFile], Buffer.from(enc));
    const { context } = await unsealSopsForEdit(sealed, { identities: [pair.identity] });
    expect(viaAge.equals(Buffer.from(context.dataKey))).toBe(true);
  });

  it('opens the binary form of a sealops-wrapped key and a multi-chunk file for several recipients with age -d', async () => {
    const pairs = [await generateAgeKeyPair(), await generateAgeKeyPair()];
    const keyFile = join(dir, 'k4.txt');
    writeFileSync(keyFile, formatAgeKeyFile(pairs[1]!.identity, pairs[1]!.recipient), { mode: 0o600 });
    const dataKey = randomBytes(32);
    const armored = await wrapDataKey(dataKey, pairs[1]!.recipient);
    const binary = Buffer.from(armored.split('\n').slice(1, -2).join(''), 'base64');
    expect(binary.subarray(0, 22).toString()).toBe('age-encryption.org/v1\n');
    expect(age(['-d', '-i', keyFile], binary).equals(dataKey)).toBe(true);
    for (const size of [64 * 1024, 3 * 64 * 1024 + 5]) {
      const plain = randomBytes(size);
      const file = encryptX25519(plain, pairs.map((p) => p.recipient));
      expect(age(['-d', '-i', keyFile], file).equals(plain)).toBe(true);
    }
  });

  it('opens files made by age -r and age -a -r for several recipients (age-keygen keys) natively', async () => {
    const keyFiles = [0, 1, 2].map((i) => join(dir, `kg${i}.txt`));
    for (const f of keyFiles) execFileSync(peerPath('age-keygen'), ['-o', f], { stdio: 'pipe' });
    const identities = keyFiles.map((f) => parseAgeIdentities(readFileSync(f, 'utf8'))[0]!);
    const recipients = await Promise.all(identities.map((id) => ageRecipientOf(id)));
    const rArgs = recipients.flatMap((r) => ['-r', r]);
    const dataKey = randomBytes(32);
    const armored = age([...rArgs, '-a'], dataKey).toString('utf8');
    for (const id of identities) expect(Buffer.from((await unwrapDataKey(armored, [id]))!).equals(dataKey)).toBe(true);
    expect(await unwrapDataKey(armored, [(await generateAgeKeyPair()).identity])).toBeNull();
    const big = randomBytes(2 * 64 * 1024 + 1);
    const parsed = parseAgeFile(age(rArgs, big));
    expect(parsed.stanzas.filter((st) => st.args[0] === 'X25519')).toHaveLength(3);
    const fileKey = unwrapX25519(parsed.stanzas, [identities[2]!]);
    expect(fileKey && decryptPayload(parsed, fileKey).equals(big)).toBe(true);
  });

  it('makes age -d fail on a sealops-wrapped key whose header MAC was changed, as sealops does', async () => {
    const pair = await generateAgeKeyPair();
    const keyFile = join(dir, 'k5.txt');
    writeFileSync(keyFile, formatAgeKeyFile(pair.identity, pair.recipient), { mode: 0o600 });
    const binary = Buffer.from((await wrapDataKey(randomBytes(32), pair.recipient)).split('\n').slice(1, -2).join(''), 'base64');
    const at = binary.indexOf('\n--- ') + 5;
    binary[at] = binary[at] === 0x41 ? 0x42 : 0x41;
    expect(() => age(['-d', '-i', keyFile], binary)).toThrow();
    const parsed = parseAgeFile(binary);
    expect(() => decryptPayload(parsed, unwrapX25519(parsed.stanzas, [pair.identity])!)).toThrow(/header MAC/);
  });
});
