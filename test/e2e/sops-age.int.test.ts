// Interop with the real age CLI (Debian package `age`): data keys wrapped by sealops open with
// `age -d`, stanzas made by `age -r` open in sealops, and key files travel both ways.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair, formatAgeKeyFile, parseAgeIdentities, readSopsMetadata, sealSops, unsealSopsForEdit, unwrapDataKey, wrapDataKey, ageRecipientOf } from '../../src/index.js';
import { peerPath } from '../support/peers.js';

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
});
