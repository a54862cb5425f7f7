// Every store supports every operation (seal, open, rekey, rotate, edit, verify), checked
// against the real sops 3.13; sealed dotenv and INI comments never come back out in plaintext.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rekeySops, rotateSops, sealSops, unsealSops, unsealSopsForEdit, verifySops, type SopsFormat } from '../../../src/index.js';
import { sopsPeer, type SopsPeer } from '../../support/sops-peer.js';

let peer: SopsPeer;
beforeAll(async () => {
  peer = await sopsPeer(2);
});
afterAll(() => peer.cleanup());

const r = (i: number): string => peer.keys[i]?.recipient ?? '';
const id = (i: number): string[] => [peer.keys[i]?.identity ?? ''];

const STORES: { format: SopsFormat; name: string; text: string; edit: [string, string] }[] = [
  { format: 'yaml', name: 'app.yaml', text: '# old password: hunter2\npassword: p4ss\nport: 5432\n', edit: ['p4ss', 'n3w-p4ss'] },
  { format: 'json', name: 'app.json', text: '{\n\t"password": "p4ss",\n\t"port": 5432\n}\n', edit: ['p4ss', 'n3w-p4ss'] },
  { format: 'dotenv', name: 'app.env', text: '# old password hunter2\nPASSWORD=p4ss\n#another note\nPORT=5432\n', edit: ['p4ss', 'n3w-p4ss'] },
  { format: 'ini', name: 'app.ini', text: '; old password hunter2\n[db]\n; note\npassword = p4ss\nport = 5432\n', edit: ['p4ss', 'n3w-p4ss'] },
  { format: 'binary', name: 'app.bin', text: 'any bytes: p4ss\nhunter2 inside\n', edit: ['p4ss', 'n3w-p4ss'] },
];

/** sops aligns the `=` of an INI section (go-ini's pretty format); sealops keeps the file's own spacing. */
const norm = (format: SopsFormat, text: string): string => (format === 'ini' ? text.replace(/[ \t]*=[ \t]*/g, ' = ') : text);

const SECRETS = ['hunter2', 'p4ss', 'another note', 'note'];
function noPlaintext(sealed: string): void {
  for (const s of SECRETS) expect(sealed).not.toContain(s);
}

describe('one store interface: every operation on every store', () => {
  for (const { format, name, text, edit } of STORES) {
    it(`seals, edits, rekeys, rotates and verifies ${format}, each result opened by sops -d`, async () => {
      const type = ['--input-type', format, '--output-type', format];
      const sealed = await sealSops(text, { recipients: [r(0)], format, source: name });
      noPlaintext(sealed);
      const reference = peer.ok(['-d', ...type, peer.write(`ref-${name}`, peer.ok(['encrypt', '--age', r(0), ...type, peer.write(`plain-${name}`, text)]))]);
      expect(norm(format, peer.ok(['-d', ...type, peer.write(name, sealed)]))).toBe(norm(format, reference));
      expect(norm(format, await unsealSops(sealed, { identities: id(0), format }))).toBe(format === 'json' ? reference : norm(format, text));

      const opened = await unsealSopsForEdit(sealed, { identities: id(0), format });
      const edited = await sealSops(opened.plaintext.replace(edit[0], edit[1]), { format, context: opened.context });
      noPlaintext(edited.replace(/n3w-p4ss/g, ''));
      expect(peer.ok(['-d', ...type, peer.write(name, edited)])).toContain(edit[1]);

      const rekeyed = await rekeySops(edited, { identities: id(0), recipients: [r(0), r(1)], format });
      noPlaintext(rekeyed);
      expect(peer.ok(['-d', ...type, peer.write(name, rekeyed)], { keyIndexes: [1] })).toContain(edit[1]);

      const rotated = await rotateSops(rekeyed, { identities: id(1), format });
      noPlaintext(rotated);
      expect(peer.ok(['-d', ...type, peer.write(name, rotated)], { keyIndexes: [0] })).toContain(edit[1]);
      expect((await verifySops(rotated, { format, identities: id(1), recipients: [r(0), r(1)] })).ok).toBe(true);
    });
  }
});

describe('comments of sealed dotenv and INI files', () => {
  for (const format of ['dotenv', 'ini'] as const) {
    it(`keeps the comments of a ${format} file that sops wrote sealed through edit, rotate and rekey`, async () => {
      const { name, text } = STORES.find((s) => s.format === format) ?? STORES[0]!;
      const type = ['--input-type', format, '--output-type', format];
      const bySops = peer.ok(['encrypt', '--age', r(0), ...type, peer.write(`plain-${name}`, text)]);
      noPlaintext(bySops);
      const printed = peer.ok(['-d', ...type, peer.write(name, bySops)]);
      expect(norm(format, await unsealSops(bySops, { identities: id(0), format }))).toBe(norm(format, printed));

      const opened = await unsealSopsForEdit(bySops, { identities: id(0), format });
      const edited = await sealSops(opened.plaintext.replace('p4ss', 'changed'), { format, context: opened.context });
      const rotated = await rotateSops(edited, { identities: id(0), format });
      const rekeyed = await rekeySops(rotated, { identities: id(0), recipients: [r(1)], format });
      for (const out of [edited, rotated, rekeyed]) {
        noPlaintext(out);
        expect(peer.ok(['-d', ...type, peer.write(name, out)])).toContain('hunter2');
      }
      // An unchanged comment keeps its very envelope through edit, as sops keeps it.
      const firstComment = (t: string): string | undefined => /^[#;] ?(ENC\[[^\]]*type:comment\])/m.exec(t)?.[1];
      expect(firstComment(edited)).toBe(firstComment(bySops));
    });
  }

  it('seals a dotenv file so that sops reads it without warning about plaintext comments', async () => {
    const sealed = await sealSops(STORES[2]!.text, { recipients: [r(0)], format: 'dotenv' });
    const run = peer.run(['-d', '--input-type', 'dotenv', '--output-type', 'dotenv', peer.write('w.env', sealed)]);
    expect(run.status).toBe(0);
    expect(run.stderr).not.toMatch(/unencrypted comment/i);
    expect(run.stdout).toBe(STORES[2]!.text);
    expect(readFileSync(`${peer.dir}/w.env`, 'utf8')).not.toContain('hunter2');
  });
});
