import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/index.js';
import { run, SECRET_YAML, tempDir } from './helpers.js';
import { rsaKeyPair } from '../support/rsa.js';

let dir: string;
let cleanup: () => Promise<void>;
let alice: string;
let bob: string;
beforeEach(async () => {
  ({ dir, cleanup } = await tempDir());
  alice = (await run(['keygen', '-o', 'alice.txt'], { cwd: dir })).stdout.trim();
  bob = (await run(['keygen', '-o', 'bob.txt'], { cwd: dir })).stdout.trim();
  await writeFile(join(dir, 's.yaml'), SECRET_YAML);
  expect((await run(['seal', '-r', alice, '-i', 's.yaml'], { cwd: dir })).status).toBe(0);
});
afterEach(() => cleanup());

/** An $EDITOR that records where and how the temp file was made, then runs `action` on it. */
async function editor(action: string): Promise<string> {
  const script = join(dir, 'editor.sh');
  await writeFile(
    script,
    `#!/bin/sh\necho "$1" > "${dir}/edited-path"\nstat -c %a "$1" > "${dir}/edited-mode"\nstat -c %a "$(dirname "$1")" > "${dir}/edited-dirmode"\n${action}\n`,
    { mode: 0o755 },
  );
  return script;
}

describe('sealops edit', () => {
  it('re-seals an edit keeping the ciphertext of unchanged values, from a 0600 temp file it then removes', async () => {
    const before = await readFile(join(dir, 's.yaml'), 'utf8');
    const ed = await editor(`sed -i 's/user: admin/user: root/' "$1"`);
    const r = await run(['edit', '-k', 'alice.txt', 's.yaml'], { cwd: dir, env: { EDITOR: ed } });
    expect(r.status).toBe(0);
    const after = await readFile(join(dir, 's.yaml'), 'utf8');
    const changed = before.split('\n').filter((l, i) => l !== after.split('\n')[i]).map((l) => l.trim().split(':')[0]);
    // lastmodified has one-second resolution, so it may not change within a fast test.
    expect(changed.filter((c) => c !== 'lastmodified')).toEqual(['user', 'mac']);
    expect((await run(['unseal', '-k', 'alice.txt', 's.yaml'], { cwd: dir })).stdout).toBe(SECRET_YAML.replace('user: admin', 'user: root'));
    expect((await readFile(join(dir, 'edited-mode'), 'utf8')).trim()).toBe('600');
    expect((await readFile(join(dir, 'edited-dirmode'), 'utf8')).trim()).toBe('700');
    expect(existsSync((await readFile(join(dir, 'edited-path'), 'utf8')).trim())).toBe(false);
  });

  it('changes nothing and removes the temp file when the editor fails', async () => {
    const before = await readFile(join(dir, 's.yaml'), 'utf8');
    const ed = await editor(`sed -i 's/user: admin/user: root/' "$1"; exit 3`);
    const r = await run(['edit', '-k', 'alice.txt', 's.yaml'], { cwd: dir, env: { EDITOR: ed } });
    expect(r.status).toBe(EXIT_CODES.IO);
    expect(r.stderr).toContain('status 3');
    expect(await readFile(join(dir, 's.yaml'), 'utf8')).toBe(before);
    expect(existsSync((await readFile(join(dir, 'edited-path'), 'utf8')).trim())).toBe(false);
  });

  it('changes nothing and removes the temp file when an edit that is not valid YAML is saved again unchanged', async () => {
    const before = await readFile(join(dir, 's.yaml'), 'utf8');
    // Breaks the YAML on the first opening; on the reopening saves it as it is (giving up).
    const ed = await editor(`[ -e "${dir}/opened" ] || printf 'a: "broken\\n' >> "$1"; touch "${dir}/opened"`);
    const r = await run(['edit', '-k', 'alice.txt', 's.yaml'], { cwd: dir, env: { EDITOR: ed } });
    expect(r.status).toBe(EXIT_CODES.INPUT);
    expect(r.stderr).toMatch(/reopening the editor/);
    expect(r.stderr).toMatch(/still does not parse; nothing was changed/);
    expect(r.stderr).not.toContain('correct-horse-battery');
    expect(await readFile(join(dir, 's.yaml'), 'utf8')).toBe(before);
    expect(existsSync((await readFile(join(dir, 'edited-path'), 'utf8')).trim())).toBe(false);
  });

  it('reopens the editor on a YAML error with the broken text kept, like sops, and seals the corrected edit', async () => {
    // First opening: change a value and break the YAML. Second opening: the broken text must
    // still be there (the user's work is kept); fix it and save.
    const ed = await editor(
      `if [ -e "${dir}/opened" ]; then grep -q 'user: root' "$1" && grep -q broken "$1" && echo kept > "${dir}/kept"; sed -i '/broken/d' "$1"; ` +
        `else sed -i 's/user: admin/user: root/' "$1"; printf 'a: "broken\\n' >> "$1"; touch "${dir}/opened"; fi`,
    );
    const r = await run(['edit', '-k', 'alice.txt', 's.yaml'], { cwd: dir, env: { EDITOR: ed } });
    expect(r.stderr).toMatch(/^sealops: error: failed to parse s\.yaml: [^\n]*\n(sealops: hint: [^\n]*\n)?sealops: warning: reopening the editor/);
    expect(r.status).toBe(0);
    expect(await readFile(join(dir, 'kept'), 'utf8')).toBe('kept\n');
    const opened = await run(['unseal', '-k', 'alice.txt', 's.yaml'], { cwd: dir });
    expect(opened.stdout).toContain('user: root');
    expect(opened.stdout).not.toContain('broken');
  });

  it('names a missing editor as a missing tool (exit 10) and changes nothing', async () => {
    const before = await readFile(join(dir, 's.yaml'), 'utf8');
    const r = await run(['edit', '-k', 'alice.txt', 's.yaml'], { cwd: dir, env: { EDITOR: 'no-such-editor-sealops' } });
    expect(r.status).toBe(EXIT_CODES.ENVIRONMENT);
    expect(r.stderr).toMatch(/^sealops: error: failed to run editor "no-such-editor-sealops": not found$/m);
    expect(await readFile(join(dir, 's.yaml'), 'utf8')).toBe(before);
  });

  it('changes nothing when the edit leaves bytes that are not UTF-8, rather than sealing U+FFFD in their place', async () => {
    const before = await readFile(join(dir, 's.yaml'), 'utf8');
    // Replaces the password with three bytes that cannot occur in UTF-8.
    const ed = await editor(`sed -i 's/correct-horse-battery/\\xff\\xfe\\x80/' "$1"`);
    const r = await run(['edit', '-k', 'alice.txt', 's.yaml'], { cwd: dir, env: { EDITOR: ed } });
    expect(r.status).toBe(EXIT_CODES.INPUT);
    expect(r.stderr).toMatch(/^sealops: error: failed to edit s\.yaml: the edited text is not UTF-8; nothing was changed$/m);
    expect(r.stderr).not.toContain('correct-horse-battery');
    expect(await readFile(join(dir, 's.yaml'), 'utf8')).toBe(before);
    expect(existsSync((await readFile(join(dir, 'edited-path'), 'utf8')).trim())).toBe(false);
  });
});

describe('sealops rekey, rotate and verify', () => {
  it('rekey gives a new recipient access without changing any value', async () => {
    const before = await readFile(join(dir, 's.yaml'), 'utf8');
    expect((await run(['unseal', '-k', 'bob.txt', 's.yaml'], { cwd: dir })).status).toBe(EXIT_CODES.KEY);
    const r = await run(['rekey', '-k', 'alice.txt', '-r', alice, '-r', bob, 's.yaml'], { cwd: dir });
    expect(r.status).toBe(0);
    const after = await readFile(join(dir, 's.yaml'), 'utf8');
    expect(after.match(/password: .*/)?.[0]).toBe(before.match(/password: .*/)?.[0]);
    expect((await run(['unseal', '-k', 'bob.txt', 's.yaml'], { cwd: dir })).stdout).toBe(SECRET_YAML);
  });

  it('rotate re-encrypts every value under a new data key', async () => {
    const before = await readFile(join(dir, 's.yaml'), 'utf8');
    expect((await run(['rotate', '-k', 'alice.txt', 's.yaml'], { cwd: dir })).status).toBe(0);
    const after = await readFile(join(dir, 's.yaml'), 'utf8');
    expect(after.match(/password: .*/)?.[0]).not.toBe(before.match(/password: .*/)?.[0]);
    expect(after.match(/enc: \|\n(.*\n){2}/)?.[0]).not.toBe(before.match(/enc: \|\n(.*\n){2}/)?.[0]);
    expect((await run(['unseal', '-k', 'alice.txt', 's.yaml'], { cwd: dir })).stdout).toBe(SECRET_YAML);
  });

  it('verify exits 0 for an intact file and 1 for a plaintext, tampered or wrongly addressed one', async () => {
    expect((await run(['verify', '-k', 'alice.txt', 's.yaml'], { cwd: dir })).status).toBe(0);
    expect((await run(['verify', '-r', alice, 's.yaml'], { cwd: dir })).status).toBe(0);
    const wrong = await run(['verify', '-r', bob, 's.yaml'], { cwd: dir });
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toContain(`not sealed for recipient ${bob}`);
    await writeFile(join(dir, 'plain.yaml'), SECRET_YAML);
    const plain = await run(['verify', 'plain.yaml'], { cwd: dir });
    expect(plain.status).toBe(1);
    expect(plain.stdout).not.toContain('correct-horse-battery');
    const sealed = await readFile(join(dir, 's.yaml'), 'utf8');
    await writeFile(join(dir, 't.yaml'), sealed.replace('name: app', 'name: other'));
    const tampered = await run(['verify', '-k', 'alice.txt', 's.yaml', 't.yaml'], { cwd: dir });
    expect(tampered.status).toBe(1);
    expect(tampered.stdout).toMatch(/^ok s\.yaml\nFAIL t\.yaml: .*sealed for prod\/app but stands as prod\/other/);
  });
});

describe('sealops verify with a key source that yields nothing', () => {
  it('exits 3 for an empty or comment-only -k file and for key variables without an identity, never a keyless ok', async () => {
    const sealed = await readFile(join(dir, 's.yaml'), 'utf8');
    // A tampered file: a keyless check would pass it, since only the ciphertext changed.
    await writeFile(join(dir, 't.yaml'), sealed.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_m, a: string, c: string) => a + (c === 'A' ? 'B' : 'A')));
    await writeFile(join(dir, 'empty.txt'), '');
    await writeFile(join(dir, 'comments.txt'), '# created: 2026-01-01T00:00:00Z\n');
    const runs = [
      await run(['verify', '-k', 'empty.txt', 't.yaml'], { cwd: dir }),
      await run(['verify', '-k', 'comments.txt', 't.yaml'], { cwd: dir }),
      await run(['verify', 't.yaml'], { cwd: dir, env: { SEALOPS_KEY_FILE: 'empty.txt' } }),
      await run(['verify', 't.yaml'], { cwd: dir, env: { SOPS_AGE_KEY_FILE: join(dir, 'comments.txt') } }),
      await run(['verify', 't.yaml'], { cwd: dir, env: { SOPS_AGE_KEY: '# nothing' } }),
    ];
    for (const r of runs) {
      expect(r.status).toBe(EXIT_CODES.KEY);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/no identity in /);
    }
  });

  it('names a recipient given with -k instead of an identity', async () => {
    const r = await run(['verify', '-k', alice, 's.yaml'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.KEY);
    expect(r.stderr).toContain(`failed to read key file ${alice}: it is an age recipient (a public key), given where an identity belongs`);
  });

  it('says a check without any key source is keyless', async () => {
    const r = await run(['verify', 's.yaml'], { cwd: dir });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('ok s.yaml (no key given: structure and recipients only, values not opened)\n');
    const keyed = await run(['verify', '-k', 'alice.txt', 's.yaml'], { cwd: dir });
    expect(keyed.stdout).toBe('ok s.yaml\n');
  });
});

describe('configuration and batch errors', () => {
  it('exits 6 naming the file and field when .sops.yaml is malformed, and leaves the file as it was', async () => {
    await writeFile(join(dir, '.sops.yaml'), 'creation_rules: [null]\n');
    await writeFile(join(dir, 'p.yaml'), SECRET_YAML);
    const r = await run(['seal', '-i', 'p.yaml'], { cwd: dir });
    expect(r.status).toBe(EXIT_CODES.CONFIG);
    expect(r.stderr).toMatch(/\.sops\.yaml: creation_rules\[0\] is empty/);
    expect(r.stderr).not.toMatch(/internal error/);
    expect(await readFile(join(dir, 'p.yaml'), 'utf8')).toBe(SECRET_YAML);
  });

  it('rekey announces nothing and rewrites nothing when a later file of the batch fails', async () => {
    const before = await readFile(join(dir, 's.yaml'), 'utf8');
    await writeFile(join(dir, 'broken.yaml'), before.replace(/mac: ENC\[[^\]]*\]/, 'mac: ENC[AES256_GCM,data:AAAA,iv:AAAA,tag:AAAA,type:str]'));
    const r = await run(['rekey', '-k', 'alice.txt', '-r', alice, '-r', bob, 's.yaml', 'broken.yaml'], { cwd: dir });
    expect(r.status).not.toBe(0);
    expect(r.stderr).not.toMatch(/rekeyed/);
    expect(await readFile(join(dir, 's.yaml'), 'utf8')).toBe(before);
  });

  it('verify with -k fails closed on a SOPS file when the keys hold no age identity, instead of checking structure only', async () => {
    const { privateKey } = rsaKeyPair(2048);
    await writeFile(join(dir, 'rsa.pem'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    const r = await run(['verify', '-k', 'rsa.pem', 's.yaml'], { cwd: dir });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('FAIL s.yaml: failed to find a key: rsa.pem holds no age identity\n');
    expect((await run(['verify', 's.yaml'], { cwd: dir })).status).toBe(0);
  });
});
