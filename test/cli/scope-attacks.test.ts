import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/index.js';
import { keyedTempDir, run } from './helpers.js';

// The attacks of issue #10 on a SOPS-sealed Secret, by someone who can write to the repository
// but holds no key: each must be refused by unseal, verify -k and edit, with no value printed.
const PLAIN = `apiVersion: v1
kind: Secret
metadata:
  name: payments
  namespace: db
type: Opaque
stringData:
  password: "s3cret-value-never-printed"
---
apiVersion: v1
kind: Secret
metadata:
  name: other
  namespace: db
stringData:
  token: "second-secret-never-printed"
`;
const VALUES = ['s3cret-value-never-printed', 'second-secret-never-printed'];

let dir: string;
let cleanup: () => Promise<void>;
let sealed: string;
beforeAll(async () => {
  let recipient: string;
  ({ dir, cleanup, recipient } = await keyedTempDir());
  await writeFile(join(dir, 's.yaml'), PLAIN);
  expect((await run(['seal', '-r', recipient, '-i', 's.yaml'], { cwd: dir })).status).toBe(0);
  sealed = await readFile(join(dir, 's.yaml'), 'utf8');
});
afterAll(() => cleanup());

const firstDoc = (text: string): [string, string] => {
  const at = text.indexOf('\n---\n');
  return [text.slice(0, at), text.slice(at)];
};

const attacks: [string, (s: string) => string, number][] = [
  ['renames the namespace key', (s) => s.replace('  namespace: db\ntype', '  nspace: db\ntype'), EXIT_CODES.SCOPE],
  ['wraps the namespace under labels', (s) => s.replace('  namespace: db\ntype', '  labels:\n    namespace: db\ntype'), EXIT_CODES.SCOPE],
  ['swaps the names of name: and namespace:', (s) => s.replace('  name: payments\n  namespace: db\n', '  namespace: payments\n  name: db\n'), EXIT_CODES.SCOPE],
  ['changes the namespace', (s) => s.replace('  namespace: db\ntype', '  namespace: prod\ntype'), EXIT_CODES.SCOPE],
  ['deletes the scope annotation', (s) => s.replace(/ {2}annotations:\n {4}sealops\.dev\/scope: "ENC\[[^\]]*\]"\n/, ''), EXIT_CODES.MAC],
  ['renames the scope annotation', (s) => s.replace('sealops.dev/scope:', 'sealops.dev/scopex:'), EXIT_CODES.MAC],
  [
    'moves the annotation of one document to the other',
    (s) => {
      const [a, b] = firstDoc(s);
      const ann = / {2}annotations:\n {4}sealops\.dev\/scope: "ENC\[[^\]]*\]"\n/;
      const mine = ann.exec(a)?.[0] ?? '';
      return a.replace(ann, '') + b.replace(ann, mine);
    },
    EXIT_CODES.SCOPE,
  ],
];

describe('attacks on the scope of a sealed Secret', () => {
  it('seals with a binding that sops-style edits above all change', () => {
    for (const [what, attack] of attacks) expect(attack(sealed), what).not.toBe(sealed);
  });

  for (const [what, attack, status] of attacks) {
    it(`refuses a file whose attacker ${what}: unseal, verify -k and edit, printing no value`, async () => {
      await writeFile(join(dir, 'attacked.yaml'), attack(sealed));
      const unseal = await run(['unseal', '-k', 'key.txt', 'attacked.yaml'], { cwd: dir });
      expect(unseal.status).toBe(status);
      expect(unseal.stdout).toBe('');
      const verify = await run(['verify', '-k', 'key.txt', 'attacked.yaml'], { cwd: dir });
      expect(verify.status).toBe(1);
      expect(verify.stdout).toMatch(/^FAIL attacked\.yaml: /);
      const before = await readFile(join(dir, 'attacked.yaml'), 'utf8');
      const edit = await run(['edit', '-k', 'key.txt', 'attacked.yaml'], { cwd: dir, env: { EDITOR: 'true' } });
      expect(edit.status).toBe(status);
      expect(await readFile(join(dir, 'attacked.yaml'), 'utf8')).toBe(before);
      for (const out of [unseal, verify, edit]) for (const v of VALUES) expect(out.stdout + out.stderr).not.toContain(v);
    });
  }

  it('still opens the untouched file, without the binding in the plaintext', async () => {
    await writeFile(join(dir, 'good.yaml'), sealed);
    const r = await run(['unseal', '-k', 'key.txt', 'good.yaml'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(PLAIN);
  });
});

