// Rotation re-encrypts each envelope in place under a new data key (one parse, every other byte
// kept), and falls back to a fresh seal where one would change more than the envelopes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair, readSopsMetadata, rotateSops, sealSops, unsealSops, unsealSopsForEdit, type AgeKeyPair } from '../../../src/index.js';

const FIX = join(import.meta.dirname, 'fixtures');
const ENC = /ENC\[AES256_GCM,data:[^\]]*\]/g;

let alice: AgeKeyPair;
let bob: AgeKeyPair;
beforeAll(async () => {
  [alice, bob] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair()]);
});

/** The lines of a sealed text before its `sops:` block, every envelope masked. */
function body(text: string): string {
  return text.slice(0, text.indexOf('\nsops:\n')).replace(ENC, 'ENC[…]');
}

describe('rotate', () => {
  it('changes every envelope and the data key, and no other byte before the metadata', async () => {
    const text = readFileSync(join(FIX, 'awkward.yaml'), 'utf8');
    const sealed = await sealSops(text, { recipients: [alice.recipient], source: 'awkward.yaml' });
    const rotated = await rotateSops(sealed, { identities: [alice.identity], source: 'awkward.yaml' });
    expect(body(rotated)).toBe(body(sealed));
    const before = new Set(sealed.match(ENC));
    const after = rotated.match(ENC) ?? [];
    expect(after.length).toBe(before.size);
    for (const enc of after) expect(before.has(enc)).toBe(false);
    const [k1, k2] = await Promise.all([sealed, rotated].map(async (t) => (await unsealSopsForEdit(t, { identities: [alice.identity] })).context.dataKey));
    expect(Buffer.from(k1!).equals(Buffer.from(k2!))).toBe(false);
    expect(await unsealSops(rotated, { identities: [alice.identity] })).toBe(await unsealSops(sealed, { identities: [alice.identity] }));
    expect(readSopsMetadata(rotated).mac).not.toBe(readSopsMetadata(sealed).mac);
  });

  it('wraps the new data key for the given recipients only', async () => {
    const sealed = await sealSops('apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: one\n', { recipients: [alice.recipient] });
    const rotated = await rotateSops(sealed, { identities: [alice.identity], recipients: [bob.recipient] });
    expect(readSopsMetadata(rotated).age.map((e) => e.recipient)).toEqual([bob.recipient]);
    expect(await unsealSops(rotated, { identities: [bob.identity] })).toContain('a: one');
    await expect(unsealSops(rotated, { identities: [alice.identity] })).rejects.toThrow(/no identity matches/);
  });

  it('re-encrypts sealed comments of a dotenv file, which still open to the same text', async () => {
    const sealed = await sealSops('# rotated monthly\nDB_PASSWORD=hunter2-long\n', { recipients: [alice.recipient], format: 'dotenv', source: 'app.env' });
    const rotated = await rotateSops(sealed, { identities: [alice.identity], format: 'dotenv', source: 'app.env' });
    const comment = (t: string): string | undefined => /^#(ENC\[[^\]]*\])$/m.exec(t)?.[1];
    expect(comment(sealed)).toBeDefined();
    expect(comment(rotated)).toBeDefined();
    expect(comment(rotated)).not.toBe(comment(sealed));
    expect(rotated).not.toContain('rotated monthly');
    expect(await unsealSops(rotated, { identities: [alice.identity], format: 'dotenv', source: 'app.env' })).toBe('# rotated monthly\nDB_PASSWORD=hunter2-long\n');
  });

  it('seals afresh, dropping it, when a value stands in clear outside the MAC', async () => {
    // mac_only_encrypted leaves unsealed fields out of the MAC, so a label added later passes it.
    const sealed = await sealSops('apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\nstringData:\n  a: leaked-value-77\n', {
      recipients: [alice.recipient],
      rules: { encrypted_regex: '^(data|stringData)$', mac_only_encrypted: true },
    });
    const leaky = sealed.replace('  name: s\n', '  labels:\n    hint: leaked-value-77\n  name: s\n');
    expect(await unsealSops(leaky, { identities: [alice.identity] })).toContain('hint: leaked-value-77');
    const rotated = await rotateSops(leaky, { identities: [alice.identity] });
    expect(rotated).not.toContain('leaked-value-77');
    expect(await unsealSops(rotated, { identities: [alice.identity] })).toContain('a: leaked-value-77');
  });
});
