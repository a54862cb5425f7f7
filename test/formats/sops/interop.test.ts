// Files of every shape against the real sops 3.13: what sops writes, sealops opens to the very
// text `sops -d` prints; what sealops writes, `sops -d` opens to the same plaintext, and a
// `sops set` on it is read back by sealops.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealSops, unsealSops } from '../../../src/index.js';
import { sopsPeer, type SopsPeer } from '../../support/sops-peer.js';

let peer: SopsPeer;
beforeAll(async () => {
  peer = await sopsPeer(1);
});
afterAll(() => peer.cleanup());

const id = (): string[] => [peer.keys[0]?.identity ?? ''];
const recipients = (): string[] => [peer.keys[0]?.recipient ?? ''];

/** Inputs written the way sops writes YAML (4-space indentation), so `sops -d` prints them back unchanged but for typed values. */
const CASES: Record<string, string> = {
  'comment between top-level keys': '# top comment\na: 1\n# between\nb: two\n# at the end\n',
  'comments inside a list': 'list:\n    # before the first item\n    - x\n    # inside list\n    - z\n    # after the last item\nafter: 1\n',
  'comments in nested maps': 'outer:\n    # head of inner\n    inner:\n        # deep\n        k: v\n    other: 2\n',
  'floats in sops\'s own text': 'big: 1e300\ntwo64: 18446744073709551616\nwhole: 6543.0\nsmall: 0.00001\nplain: 1.5\nneg: -2.5e-7\n',
  'integers at the int64 edge': 'max: 9223372036854775807\nmin: -9223372036854775808\nbelow: -9223372036854775809\n',
  'times and dates': 'at: 2026-01-02T03:04:05Z\nday: 2026-01-02\nzoned: 2026-01-02T03:04:05.123+02:00\nspaced: 2026-01-02 03:04:05\nquoted: "2026-01-02"\nnumberish: "1_000"\n',
  'booleans and strings that look typed': 'yes_word: "yes"\nt: true\nf: false\nnum_str: "123"\nempty: ""\n',
};

describe('sealops opens what sops writes, exactly as sops -d prints it', () => {
  for (const [name, text] of Object.entries(CASES)) {
    it(`opens ${name}`, async () => {
      const sealed = peer.ok(['encrypt', '--age', recipients()[0] ?? '', '--input-type', 'yaml', '--output-type', 'yaml', peer.write('in.yaml', text)]);
      const bySops = peer.ok(['-d', '--input-type', 'yaml', '--output-type', 'yaml', peer.write('sealed.yaml', sealed)]);
      expect(await unsealSops(sealed, { identities: id(), format: 'yaml' })).toBe(bySops);
    });
  }

  it('opens an inline comment that sops sealed (sops -d moves it above its key; sealops keeps it where it is)', async () => {
    const sealed = peer.ok(['encrypt', '--age', recipients()[0] ?? '', peer.write('inline.yaml', 'a:\n    k: v # inline note\n')]);
    const out = await unsealSops(sealed, { identities: id() });
    expect(out).toContain('# inline note');
    expect(out).not.toContain('ENC[');
  });

  it('reads a number that sops set wrote as type:float the way sops prints it', async () => {
    const file = peer.write('set.yaml', await sealSops('port: 1\nname: x\n', { recipients: recipients(), format: 'yaml' }));
    peer.ok(['set', file, '["port"]', '6543']);
    const sealed = readFileSync(file, 'utf8');
    expect(sealed).toMatch(/port: ENC\[AES256_GCM,[^\]]*type:float\]/);
    expect(await unsealSops(sealed, { identities: id() })).toBe('port: 6543\nname: x\n');
    expect(peer.ok(['-d', file])).toBe('port: 6543\nname: x\n');
  });
});

describe('sops opens what sealops writes', () => {
  for (const [name, text] of Object.entries(CASES)) {
    it(`sops -d opens ${name} sealed by sealops, and sealops reads it after sops set`, async () => {
      const bySopsSealed = peer.ok(['encrypt', '--age', recipients()[0] ?? '', '--input-type', 'yaml', '--output-type', 'yaml', peer.write('in.yaml', text)]);
      const expected = peer.ok(['-d', '--input-type', 'yaml', '--output-type', 'yaml', peer.write('ref.yaml', bySopsSealed)]);
      const file = peer.write('ours.yaml', await sealSops(text, { recipients: recipients(), format: 'yaml' }));
      expect(peer.ok(['-d', file])).toBe(expected);
      peer.ok(['set', file, '["added"]', '"by sops set"']);
      const after = await unsealSops(readFileSync(file, 'utf8'), { identities: id() });
      expect(after).toContain('added: by sops set');
      expect(after).toBe(peer.ok(['-d', file]));
    });
  }

  it('writes dates and timestamps as type:time, as sops does', async () => {
    const sealed = await sealSops('day: 2026-01-02\nat: 2026-01-02T03:04:05Z\nquoted: "2026-01-02"\n', { recipients: recipients(), format: 'yaml' });
    expect(sealed).toMatch(/day: ENC\[[^\]]*type:time\]/);
    expect(sealed).toMatch(/at: ENC\[[^\]]*type:time\]/);
    expect(sealed).toMatch(/quoted: "ENC\[[^\]]*type:str\]"/);
  });

  it('refuses an integer beyond int64 that sops cannot read, with a hint, and seals one beyond uint64 as sops does', async () => {
    await expect(sealSops('n: 9223372036854775808\n', { recipients: recipients(), format: 'yaml' })).rejects.toThrow(/beyond int64/);
    const r = peer.run(['encrypt', '--age', recipients()[0] ?? '', peer.write('u64.yaml', 'n: 9223372036854775808\n')]);
    expect(r.status).not.toBe(0);
    const sealed = await sealSops('big: 18446744073709551616\n', { recipients: recipients(), format: 'yaml' });
    expect(sealed).toMatch(/type:float/);
    expect(peer.ok(['-d', peer.write('f.yaml', sealed)])).toBe('big: 1.8446744073709552e+19\n');
  });
});
