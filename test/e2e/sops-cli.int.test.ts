// Interop with the real sops binary (built from the Go module proxy by tools/build-assets.sh):
// what sealops writes decrypts with `sops -d`, and what `sops -e` writes decrypts with sealops.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatAgeKeyFile, generateAgeKeyPair, rekeySops, rotateSops, ScopeError, SCOPE_ANNOTATION, sealSops, unsealSops, unsealSopsForEdit, type AgeKeyPair } from '../../src/index.js';
import { peerPath } from '../support/peers.js';
import { run } from '../cli/helpers.js';

const FIX = join(import.meta.dirname, '../formats/sops/fixtures');
const dir = mkdtempSync(join(tmpdir(), 'sealops-sops-'));
let key: AgeKeyPair;
let keyFile: string;
beforeAll(async () => {
  key = await generateAgeKeyPair();
  keyFile = join(dir, 'keys.txt');
  writeFileSync(keyFile, formatAgeKeyFile(key.identity, key.recipient), { mode: 0o600 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function sops(args: string[]): string {
  return execFileSync(peerPath('sops'), args, {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, SOPS_AGE_KEY_FILE: keyFile, SOPS_DISABLE_VERSION_CHECK: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  }).toString('utf8');
}
/** A document as sops -d prints it, less the scope binding sealops adds (and strips when it unseals). */
function withoutScope(doc: unknown): unknown {
  const meta = (doc as { metadata?: { annotations?: Record<string, unknown> } } | null)?.metadata;
  if (meta?.annotations && SCOPE_ANNOTATION in meta.annotations) {
    delete meta.annotations[SCOPE_ANNOTATION];
    if (Object.keys(meta.annotations).length === 0) delete meta.annotations;
  }
  return doc;
}
const docs = (text: string): unknown[] => parseAllDocuments(text).map((d) => withoutScope(d.toJS()));

describe('the scope binding under sops', () => {
  const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: payments\n  namespace: db\nstringData:\n  password: p4ss-w0rd-bound\n';

  it('sops -d shows the binding as namespace/name, and sops set writes back a file sealops still opens bound', async () => {
    const file = join(dir, 'bound.yaml');
    writeFileSync(file, await sealSops(secret, { recipients: [key.recipient], source: 'bound.yaml' }));
    const [shown] = parseAllDocuments(sops(['-d', file])).map((d) => d.toJS() as { metadata: { annotations: Record<string, string> } });
    expect(shown?.metadata.annotations[SCOPE_ANNOTATION]).toBe('db/payments');
    sops(['set', file, '["stringData"]["password"]', '"changed-by-sops"']);
    const written = readFileSync(file, 'utf8');
    expect(written).toMatch(/sealops\.dev\/scope: ENC\[AES256_GCM,/);
    expect(await unsealSops(written, { identities: [key.identity], source: 'bound.yaml' })).toMatch(/password: changed-by-sops\n/);
    await expect(unsealSops(written.replace('namespace: db', 'namespace: prod'), { identities: [key.identity] })).rejects.toBeInstanceOf(ScopeError);
  });

  it('opens a Secret sealed by plain sops as unbound, with no binding to check', async () => {
    const file = join(dir, 'plain-sops.yaml');
    writeFileSync(file, secret);
    const sealed = sops(['-e', '--age', key.recipient, '--encrypted-regex', '^(data|stringData)$', file]);
    const opened = await unsealSopsForEdit(sealed, { identities: [key.identity], source: 'plain-sops.yaml' });
    expect(opened.plaintext).toMatch(/password: p4ss-w0rd-bound/);
    expect(opened.scopes).toEqual([{ document: 0, namespace: 'db', name: 'payments' }]);
  });

  it('sealops verify -k warns that a plain-sops Secret is unbound; edit keeps it as sops wrote it, rotate binds it', async () => {
    const file = join(dir, 'legacy.yaml');
    writeFileSync(file, secret);
    writeFileSync(file, sops(['-e', '--age', key.recipient, '--encrypted-regex', '^(data|stringData)$', file]));
    const v = await run(['verify', '-k', keyFile, 'legacy.yaml'], { cwd: dir });
    expect(v.status).toBe(0);
    expect(v.stderr).toMatch(/warning: legacy\.yaml: Secret db\/payments has no sealops\.dev\/scope binding/);
    expect(v.stderr + v.stdout).not.toContain('p4ss-w0rd-bound');
    const editor = join(dir, 'editor.sh');
    writeFileSync(editor, '#!/bin/sh\nsed -i "s/p4ss-w0rd-bound/p4ss-w0rd-rotated/" "$1"\n', { mode: 0o755 });
    expect((await run(['edit', '-k', keyFile, 'legacy.yaml'], { cwd: dir, env: { EDITOR: editor } })).status).toBe(0);
    expect(readFileSync(file, 'utf8')).not.toContain('sealops.dev/scope');
    expect((await run(['rotate', '-k', keyFile, 'legacy.yaml'], { cwd: dir })).status).toBe(0);
    const rotated = readFileSync(file, 'utf8');
    expect(rotated).toMatch(/sealops\.dev\/scope: "?ENC\[AES256_GCM,/);
    expect(sops(['-d', file])).toMatch(/sealops\.dev\/scope: db\/payments/);
    const again = await run(['verify', '-k', keyFile, 'legacy.yaml'], { cwd: dir });
    expect(again.stderr).toBe('');
  });
});

describe('sops decrypts what sealops writes', () => {
  for (const [name, type] of [['awkward.yaml', 'yaml'], ['multi.yaml', 'yaml'], ['crlf.yaml', 'yaml'], ['secret.json', 'json'], ['app.env', 'dotenv']] as const) {
    it(`sops -d opens ${name} sealed by sealops to the same ${type} content`, async () => {
      const text = readFileSync(join(FIX, name), 'utf8');
      const sealed = await sealSops(text, { recipients: [key.recipient], source: name });
      const file = join(dir, `sealed-${name}`);
      writeFileSync(file, sealed);
      const out = sops(['-d', '--input-type', type, '--output-type', type, file]);
      if (type === 'dotenv') expect(out).toBe(text.split('\n').filter((l) => l !== '' ).join('\n') + '\n');
      else if (type === 'json') expect(withoutScope(JSON.parse(out))).toEqual(JSON.parse(text));
      else expect(docs(out)).toEqual(docs(text));
    });
  }

  it('sops -d opens a file sealed with mac_only_encrypted and an unencrypted_suffix', async () => {
    const text = 'db:\n  password: p4ss-word\n  host_unencrypted: db.local\nport: 5432\n';
    for (const rules of [{ mac_only_encrypted: true, unencrypted_suffix: '_unencrypted' }, { unencrypted_suffix: '_unencrypted' }]) {
      const sealed = await sealSops(text, { recipients: [key.recipient], rules });
      writeFileSync(join(dir, 'rules.yaml'), sealed);
      expect(parse(sops(['-d', join(dir, 'rules.yaml')]))).toEqual(parse(text));
    }
  });

  it('sops -d opens a file after sealops rekey and rotate', async () => {
    const other = await generateAgeKeyPair();
    const text = readFileSync(join(FIX, 'awkward.yaml'), 'utf8');
    let sealed = await sealSops(text, { recipients: [other.recipient] });
    sealed = await rekeySops(sealed, { identities: [other.identity], recipients: [other.recipient, key.recipient] });
    sealed = await rotateSops(sealed, { identities: [key.identity] });
    writeFileSync(join(dir, 'rotated.yaml'), sealed);
    expect(docs(sops(['-d', join(dir, 'rotated.yaml')]))).toEqual(docs(text));
  });
});

describe('sealops decrypts what sops writes', () => {
  it('opens a Secret that sops -e sealed with --encrypted-regex, MAC verified', async () => {
    const text = readFileSync(join(FIX, 'awkward.yaml'), 'utf8');
    writeFileSync(join(dir, 'plain.yaml'), text);
    const sealed = sops(['-e', '--age', key.recipient, '--encrypted-regex', '^(data|stringData)$', join(dir, 'plain.yaml')]);
    expect(sealed).toContain('version: 3.');
    const out = await unsealSops(sealed, { identities: [key.identity], source: 'by-sops.yaml' });
    expect(docs(out)).toEqual(docs(text));
    // Tampering with what sops wrote is caught too.
    await expect(unsealSops(sealed.replace('namespace: shop', 'namespace: shoq'), { identities: [key.identity] })).rejects.toThrow(/MAC mismatch/);
  });

  it('opens a file that sops -e wrote with --mac-only-encrypted, and sees a tampered encrypted value', async () => {
    writeFileSync(join(dir, 'moe.yaml'), 'db:\n  password: p4ss-word\n  host_unencrypted: db.local\nport: 5432\n');
    const sealed = sops(['-e', '--age', key.recipient, '--mac-only-encrypted', join(dir, 'moe.yaml')]);
    expect(sealed).toContain('mac_only_encrypted: true');
    expect(parse(await unsealSops(sealed, { identities: [key.identity] }))).toEqual({ db: { password: 'p4ss-word', host_unencrypted: 'db.local' }, port: 5432 });
  });

  it('opens a JSON file and a dotenv file that sops -e wrote', async () => {
    const json = readFileSync(join(FIX, 'secret.json'), 'utf8');
    writeFileSync(join(dir, 'plain.json'), json);
    const sealedJson = sops(['-e', '--age', key.recipient, join(dir, 'plain.json')]);
    expect(JSON.parse(await unsealSops(sealedJson, { identities: [key.identity], format: 'json' }))).toEqual(JSON.parse(json));
    const env = readFileSync(join(FIX, 'app.env'), 'utf8');
    writeFileSync(join(dir, 'plain.env'), env);
    const sealedEnv = sops(['-e', '--age', key.recipient, join(dir, 'plain.env')]);
    const out = await unsealSops(sealedEnv, { identities: [key.identity], format: 'dotenv' });
    expect(out).toContain('DB_PASSWORD=s3cr3t-env');
  });

  it('keeps sops ciphertexts of unchanged values when re-sealing a sops file after an edit', async () => {
    writeFileSync(join(dir, 'plain2.yaml'), 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: one\n  b: two\n');
    const sealed = sops(['-e', '--age', key.recipient, '--encrypted-regex', '^(data|stringData)$', join(dir, 'plain2.yaml')]);
    const { plaintext, context } = await unsealSopsForEdit(sealed, { identities: [key.identity] });
    const resealed = await sealSops(plaintext.replace('b: two', 'b: three'), { context });
    const encA = (s: string): string | undefined => /a: (ENC\[[^\]]*\])/.exec(s)?.[1];
    expect(encA(resealed)).toBe(encA(sealed));
    writeFileSync(join(dir, 'resealed.yaml'), resealed);
    expect(parse(sops(['-d', join(dir, 'resealed.yaml')]))).toMatchObject({ stringData: { a: 'one', b: 'three' } });
  });
});
