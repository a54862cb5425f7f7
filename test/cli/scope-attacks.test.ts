import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/index.js';
import { parse } from 'yaml';
import { keyedTempDir, run } from './helpers.js';
import { peerPath } from '../support/peers.js';

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


describe('seal --scope for a SOPS Secret', () => {
  const ONE = PLAIN.slice(0, PLAIN.indexOf('---\n'));
  const sealWith = async (file: string, text: string, args: string[]): Promise<string> => {
    await writeFile(join(dir, file), text);
    const recipient = /public key: (age1\S+)/.exec(await readFile(join(dir, 'key.txt'), 'utf8'))![1]!;
    const r = await run(['seal', '-r', recipient, ...args, '-i', file], { cwd: dir });
    expect(r.status, r.stderr).toBe(0);
    return readFile(join(dir, file), 'utf8');
  };
  // The binding as the real sops decrypts it (sealops unseal strips it).
  const bindingOf = (file: string): unknown => {
    const out = execFileSync(peerPath('sops'), ['-d', join(dir, file)], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: join(dir, 'key.txt') } });
    return (parse(out) as { metadata: { annotations?: Record<string, string> } }).metadata.annotations?.['sealops.dev/scope'];
  };

  it('binds namespace/name by default, namespace/ with namespace-wide and / with cluster-wide', async () => {
    await sealWith('strict.yaml', ONE, []);
    await sealWith('nsw.yaml', ONE, ['--scope', 'namespace-wide']);
    await sealWith('cw.yaml', ONE, ['--scope', 'cluster-wide']);
    expect([bindingOf('strict.yaml'), bindingOf('nsw.yaml'), bindingOf('cw.yaml')]).toEqual(['db/payments', 'db/', '/']);
  });

  it('binds /name for a Secret sealed without a namespace', async () => {
    await sealWith('nons.yaml', ONE.replace('  namespace: db\n', ''), []);
    expect(bindingOf('nons.yaml')).toBe('/payments');
  });

  it('keeps a hand-written binding that agrees with the metadata, replaces one that does not, and lets --scope win', async () => {
    const withAnn = (v: string) => ONE.replace('  namespace: db\n', `  namespace: db\n  annotations:\n    sealops.dev/scope: "${v}"\n`);
    await sealWith('hand.yaml', withAnn('db/'), []);
    await sealWith('wrong.yaml', withAnn('other/'), []);
    await sealWith('forced.yaml', withAnn('db/'), ['--scope', 'strict']);
    expect([bindingOf('hand.yaml'), bindingOf('wrong.yaml'), bindingOf('forced.yaml')]).toEqual(['db/', 'db/payments', 'db/payments']);
  });

  it('refuses an unknown --scope', async () => {
    await writeFile(join(dir, 'bad.yaml'), ONE);
    const r = await run(['seal', '-r', 'age1x', '--scope', 'galaxy-wide', 'bad.yaml'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.USAGE);
    expect(r.stderr).toContain('unknown --scope');
  });
});
