// Little churn when a team switches tools on one file: sealops editing one value of a file
// that sops wrote changes no more lines than `sops set` changes for the same edit (the value,
// the MAC and lastmodified), and a rekey adds only the new recipient's lines.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rekeySops, sealSops, unsealSopsForEdit, type SopsFormat } from '../../../src/index.js';
import { sopsPeer, type SopsPeer } from '../../support/sops-peer.js';

let peer: SopsPeer;
beforeAll(async () => {
  peer = await sopsPeer(2);
});
afterAll(() => peer.cleanup());

/** Lines of `after` that `before` does not have (as a multiset): what a diff shows as added. */
function addedLines(before: string, after: string): string[] {
  const pool = new Map<string, number>();
  for (const l of before.split('\n')) pool.set(l, (pool.get(l) ?? 0) + 1);
  return after.split('\n').filter((l) => {
    const n = pool.get(l) ?? 0;
    if (n > 0) pool.set(l, n - 1);
    return n === 0;
  });
}

const SECRET = `apiVersion: v1
kind: Secret
metadata:
    name: app
    namespace: prod
type: Opaque
stringData:
    # rotated every quarter
    password: correct-horse
    user: admin
    port: "5432"
    ratio: 1.5
    count: 3
    "on": "yes"
    when: 2026-01-02
    list:
        - a
        # between items
        - b
    note: |
        multi
        line
data:
    token: dG9rZW4=
`;

const CASES: { name: string; format: SopsFormat; text: string; regex?: string; path: string; from: string; to: string; sopsValue: string }[] = [
  { name: 'a Secret sealed with --encrypted-regex', format: 'yaml', text: SECRET, regex: '^(data|stringData)$', path: '["stringData"]["password"]', from: 'correct-horse', to: 'battery-staple', sopsValue: '"battery-staple"' },
  { name: 'a whole YAML file with comments and typed values', format: 'yaml', text: SECRET, path: '["stringData"]["user"]', from: 'user: admin', to: 'user: root', sopsValue: '"root"' },
  { name: 'a JSON file', format: 'json', text: '{\n    "password": "correct-horse",\n    "port": 5432,\n    "ratio": 1.5\n}', path: '["password"]', from: 'correct-horse', to: 'battery-staple', sopsValue: '"battery-staple"' },
  { name: 'a dotenv file with comments', format: 'dotenv', text: '# old: hunter2\nPASSWORD=correct-horse\nPORT=5432\n', path: '["PASSWORD"]', from: 'correct-horse', to: 'battery-staple', sopsValue: '"battery-staple"' },
];

describe('churn of sealops edits on files sops wrote', () => {
  for (const c of CASES) {
    it(`editing one value of ${c.name} changes no more lines than sops set does`, async () => {
      const type = ['--input-type', c.format, '--output-type', c.format];
      const rule = c.regex ? ['--encrypted-regex', c.regex] : [];
      const original = peer.ok(['encrypt', '--age', peer.keys[0]?.recipient ?? '', ...rule, ...type, peer.write(`plain.${c.format}`, c.text)]);
      const setFile = peer.write(`set.${c.format}`, original);
      peer.ok(['set', ...type, setFile, c.path, c.sopsValue]);
      const bySops = addedLines(original, readFileSync(setFile, 'utf8'));

      const opened = await unsealSopsForEdit(original, { identities: [peer.keys[0]?.identity ?? ''], format: c.format });
      expect(opened.plaintext).toContain(c.from);
      const ours = await sealSops(opened.plaintext.replace(c.from, c.to), { format: c.format, context: opened.context });
      const byUs = addedLines(original, ours);
      // lastmodified changes only when the second ticked between the writes: not churn, left out on both sides.
      const settled = (lines: string[]): string[] => lines.filter((l) => !/lastmodified/.test(l));
      expect(settled(byUs).length).toBeLessThanOrEqual(settled(bySops).length);
      // What changed: the edited value, the MAC and lastmodified, nothing else.
      expect(byUs.filter((l) => !/mac|lastmodified/.test(l))).toHaveLength(1);
      expect(peer.ok(['-d', ...type, peer.write(`ours.${c.format}`, ours)])).toContain(c.to.replace('user: ', ''));
    });
  }

  it('a rekey that adds a recipient adds only that recipient\'s lines', async () => {
    const original = peer.ok(['encrypt', '--age', peer.keys[0]?.recipient ?? '', '--encrypted-regex', '^(data|stringData)$', peer.write('rk.yaml', SECRET)]);
    const rekeyed = await rekeySops(original, { identities: [peer.keys[0]?.identity ?? ''], recipients: [peer.keys[0]?.recipient ?? '', peer.keys[1]?.recipient ?? ''] });
    const added = addedLines(original, rekeyed);
    expect(addedLines(rekeyed, original)).toEqual([]);
    // `- enc: |`, the armored lines of the new wrapped key, and its `recipient:` line.
    expect(added[0]).toBe('        - enc: |');
    expect(added.at(-1)).toBe(`          recipient: ${peer.keys[1]?.recipient ?? ''}`);
    expect(added.every((l) => l.startsWith('        - enc') || l.startsWith('            ') || l.startsWith('          recipient'))).toBe(true);
  });
});
