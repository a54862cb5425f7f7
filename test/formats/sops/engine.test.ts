import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DecryptError, InputError, KeyError, MacError, ScopeError, decryptSopsDocuments, generateAgeKeyPair, isSopsEncrypted, readSopsMetadata, rekeySops, rotateSops, sealSops, unsealSops, unsealSopsForEdit, verifySops, type AgeKeyPair } from '../../../src/index.js';
import { MacBuilder, encryptMac } from '../../../src/formats/sops/mac.js';
import { SOPS_FORMAT_VERSION, nowLastModified, renderMetadataJson } from '../../../src/formats/sops/metadata.js';
import { encryptValue } from '../../../src/crypto/aesgcm.js';
import { generateDataKey } from '../../../src/crypto/datakey.js';
import { wrapDataKey } from '../../../src/crypto/age.js';

const FIX = join(import.meta.dirname, 'fixtures');
const fixture = (name: string): string => readFileSync(join(FIX, name), 'utf8');
const ENC_RE = /ENC\[AES256_GCM,data:[^\]]*\]/g;

let alice: AgeKeyPair;
let bob: AgeKeyPair;
beforeAll(async () => {
  alice = await generateAgeKeyPair();
  bob = await generateAgeKeyPair();
});

describe('sealing a Kubernetes Secret', () => {
  it('encrypts only data and stringData and leaves every other byte of the manifest unchanged', async () => {
    const text = fixture('awkward.yaml');
    const sealed = await sealSops(text, { recipients: [alice.recipient], source: 'awkward.yaml' });
    for (const secret of ['hunter2', 'pä$$wörd', '0123', 'MIIBszCCAVmgAwIBAgIU', 'aGVsbG8gd29ybGQ=', 'head comment inside stringData']) {
      expect(sealed).not.toContain(secret);
    }
    // Everything before stringData is byte for byte the same, and so is everything after the values.
    // The scope binding is the one insertion: the first key of metadata.
    const binding = /^ {2}annotations:\n {4}sealops\.dev\/scope: "ENC\[AES256_GCM,[^\]]*\]"\n {2}/m;
    expect(sealed).toMatch(binding);
    const body = sealed.slice(0, sealed.indexOf('\nsops:\n') + 1).replace(binding, '  ');
    const head = text.slice(0, text.indexOf('stringData:'));
    expect(body.startsWith(head)).toBe(true);
    for (const keep of ['# Database credentials for the orders service.', '  name: orders-db   # the name the Deployment mounts', '  labels: {app: orders, tier: "db"}', '\n\ntype: Opaque', '  empty: ""', '  nothing: null', '# trailing comment']) {
      expect(body).toContain(keep);
    }
    const meta = readSopsMetadata(sealed, { source: 'x.yaml' });
    expect(meta.encrypted_regex).toBe('^(data|stringData|sealops\\.dev/scope)$');
    expect(meta.age.map((e) => e.recipient)).toEqual([alice.recipient]);
    expect(meta.mac).toMatch(/^ENC\[AES256_GCM,/);
  });

  it('unseals back to the original bytes for block, quoted and plain values, CRLF and several documents', async () => {
    for (const name of ['crlf.yaml', 'multi.yaml', 'secret.json']) {
      const text = fixture(name);
      const sealed = await sealSops(text, { recipients: [alice.recipient], source: name });
      expect(sealed).not.toBe(text);
      expect(await unsealSops(sealed, { identities: [alice.identity], source: name })).toBe(text);
    }
    const awkward = fixture('awkward.yaml');
    const back = await unsealSops(await sealSops(awkward, { recipients: [alice.recipient] }), { identities: [alice.identity] });
    // Flow-map plain scalars come back double-quoted and folded text comes back on one line; all else is identical.
    const norm = (s: string): string => s.replace('{k1: v1,', '{k1: "v1",').replace('>-\n    one\n    two', '>-\n    one two');
    expect(back).toBe(norm(awkward));
  });

  it('seals only data and stringData of Secrets inside a List', async () => {
    const list = 'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata:\n      name: s\n    stringData:\n      k: list-secret\n';
    const sealed = await sealSops(list, { recipients: [alice.recipient] });
    expect(sealed).toContain('kind: List\n');
    expect(sealed).toContain('      name: s\n');
    expect(sealed).not.toContain('list-secret');
  });

  it('keeps CRLF line endings in the appended metadata', async () => {
    const sealed = await sealSops(fixture('crlf.yaml'), { recipients: [alice.recipient] });
    expect(sealed.replace(/\r\n/g, '')).not.toContain('\n');
  });

  it('writes a sops block into every document of a multi-document file with one MAC over all of them', async () => {
    const sealed = await sealSops(fixture('multi.yaml'), { recipients: [alice.recipient] });
    const blocks = sealed.match(/^sops:$/gm) ?? [];
    expect(blocks).toHaveLength(3);
    const macs = [...sealed.matchAll(/^ {2}mac: (.*)$/gm)].map((m) => m[1]);
    expect(new Set(macs).size).toBe(1);
    // A change in the third document's namespace is refused by its scope binding.
    await expect(unsealSops(sealed.replace('namespace: b', 'namespace: c'), { identities: [alice.identity] })).rejects.toBeInstanceOf(ScopeError);
    // The regex applies to every document, as in sops: the ConfigMap's data is sealed too.
    expect(sealed).not.toContain('visible');
  });

  it('returns the documents as plain objects without the sops key, each Secret with its decrypted binding for the agent to check', async () => {
    const sealed = await sealSops(fixture('multi.yaml'), { recipients: [alice.recipient] });
    const docs = await decryptSopsDocuments(sealed, { identities: [alice.identity], source: 'multi.yaml' });
    const bound = (scope: string) => ({ annotations: { 'sealops.dev/scope': scope } });
    expect(docs).toEqual([
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'first', namespace: 'a', ...bound('a/first') }, stringData: { key: 'value-one' } },
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'config' }, data: { setting: 'visible' } },
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'second', namespace: 'b', ...bound('b/second') }, data: { key: 'dmFsdWUtdHdv' } },
    ]);
    // The user-facing plaintext is what was sealed: no binding.
    expect(await unsealSops(sealed, { identities: [alice.identity], source: 'multi.yaml' })).not.toContain('sealops.dev/scope');
  });

  it('keeps the types of numbers and booleans in JSON', async () => {
    const sealed = await sealSops(fixture('secret.json'), { recipients: [alice.recipient], source: 'secret.json' });
    expect(() => JSON.parse(sealed) as unknown).not.toThrow();
    expect(isSopsEncrypted(JSON.parse(sealed))).toBe(true);
    const [doc] = (await decryptSopsDocuments(sealed, { identities: [alice.identity], format: 'json' })) as { stringData: unknown }[];
    expect(doc?.stringData).toEqual({ password: 's3cr3t-json', port: 5432, ratio: 0.5, on: true });
  });

  it('seals a dotenv file and leaves _unencrypted keys readable', async () => {
    const sealed = await sealSops(fixture('app.env'), { recipients: [alice.recipient], format: 'dotenv' });
    expect(sealed).not.toContain('s3cr3t-env');
    expect(sealed).toContain('PUBLIC_unencrypted=visible');
    expect(sealed).toMatch(/^sops_mac=ENC\[/m);
    expect(await unsealSops(sealed, { identities: [alice.identity], format: 'dotenv' })).toBe(fixture('app.env'));
  });

  it('refuses to unseal a value whose plaintext is not UTF-8 instead of writing mangled bytes', async () => {
    // What `sops -e --input-type binary` writes for a file that is not text: the raw bytes
    // encrypted under `data:`, the MAC over them. Built from the primitives, as sops builds it.
    const raw = Buffer.from([0x30, 0x82, 0xff, 0xfe, 0x80, 0x00, 0x41]);
    const dataKey = generateDataKey();
    const mac = new MacBuilder();
    mac.add(raw);
    const lastmodified = nowLastModified();
    const meta = {
      age: [{ recipient: alice.recipient, enc: await wrapDataKey(dataKey, alice.recipient) }],
      lastmodified,
      mac: encryptMac(dataKey, mac.digest(), lastmodified),
      version: SOPS_FORMAT_VERSION,
      otherKeySources: [],
    };
    const file = `{\n\t"data": ${JSON.stringify(encryptValue(dataKey, raw, 'data:', 'str'))},\n\t${renderMetadataJson(meta, '\t', '\n')}\n}\n`;
    expect((await verifySops(file, { format: 'binary', identities: [alice.identity] })).problems).toEqual([]);
    const err = await unsealSops(file, { identities: [alice.identity], format: 'binary' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^failed to unseal <input>: the value at data is not UTF-8 text/);
  });

  it('seals arbitrary bytes with the binary store', async () => {
    const sealed = await sealSops('line one\nline two\n', { recipients: [alice.recipient], format: 'binary' });
    expect(JSON.parse(sealed)).toHaveProperty('data');
    expect(await unsealSops(sealed, { identities: [alice.identity], format: 'binary' })).toBe('line one\nline two\n');
  });
});

describe('selection rules from the metadata', () => {
  it('with mac_only_encrypted leaves plaintext fields out of the MAC, as sops does', async () => {
    const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\nstringData:\n  k: v-secret\n';
    const sealed = await sealSops(text, { recipients: [alice.recipient], rules: { encrypted_regex: '^stringData$', mac_only_encrypted: true } });
    expect(sealed).toContain('  mac_only_encrypted: true\n');
    // The name itself is outside the MAC, but the encrypted scope binding still holds it.
    expect(sealed).toContain('encrypted_regex: (?:^stringData$)|^sealops\\.dev/scope$');
    const renamed = sealed.replace('name: a', 'name: b');
    await expect(unsealSops(renamed, { identities: [alice.identity] })).rejects.toBeInstanceOf(ScopeError);
    expect(await unsealSops(sealed, { identities: [alice.identity] })).toBe(text);
  });

  it('with unencrypted_suffix keeps those keys readable but inside the MAC', async () => {
    const text = 'db:\n  password: p4ss-word\n  host_unencrypted: db.local\n';
    const sealed = await sealSops(text, { recipients: [alice.recipient] });
    expect(sealed).toContain('host_unencrypted: db.local');
    expect(sealed).not.toContain('p4ss-word');
    await expect(unsealSops(sealed.replace('db.local', 'db.evil'), { identities: [alice.identity] })).rejects.toBeInstanceOf(MacError);
  });
});

describe('awkward block scalars', () => {
  it('keeps the meaning of keep-chomped and whitespace-only block values, found by the property tests', async () => {
    const { parse } = await import('yaml');
    const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\nstringData:\n  keep: |+\n    x\n\n  b: y\n  ws: |+\n     \n  last: |+\n    \'\n\n';
    const sealed = await sealSops(text, { recipients: [alice.recipient] });
    const plain = await unsealSops(sealed, { identities: [alice.identity] });
    expect(parse(plain)).toEqual(parse(text));
  });
});

describe('re-sealing after an edit', () => {
  it('keeps the ciphertext of every unchanged value so the diff shows only the edit, mac and lastmodified', async () => {
    const text = fixture('awkward.yaml');
    const sealed = await sealSops(text, { recipients: [alice.recipient], now: new Date('2025-01-01T00:00:00Z') });
    const { plaintext, context } = await unsealSopsForEdit(sealed, { identities: [alice.identity] });
    const edited = plaintext.replace('plain: hunter2', 'plain: hunter3');
    const resealed = await sealSops(edited, { context, now: new Date('2025-01-02T00:00:00Z') });
    const a = sealed.split('\n');
    const b = resealed.split('\n');
    expect(b).toHaveLength(a.length);
    const changed = a.map((l, i) => (l === b[i] ? null : l.trim().split(':')[0])).filter((x) => x !== null);
    expect(changed).toEqual(['plain', 'lastmodified', 'mac']);
    expect(await unsealSops(resealed, { identities: [alice.identity] })).toBe(edited);
  });
});

describe('dotenv files', () => {
  it('keep unchanged envelopes on re-seal and verify like YAML files', async () => {
    const sealed = await sealSops(fixture('app.env'), { recipients: [alice.recipient], format: 'dotenv' });
    const { plaintext, context } = await unsealSopsForEdit(sealed, { identities: [alice.identity], format: 'dotenv' });
    const resealed = await sealSops(plaintext.replace('DB_USER=orders', 'DB_USER=billing'), { context, format: 'dotenv' });
    const line = (t: string, k: string): string | undefined => t.split('\n').find((l) => l.startsWith(`${k}=`));
    expect(line(resealed, 'DB_PASSWORD')).toBe(line(sealed, 'DB_PASSWORD'));
    expect(line(resealed, 'DB_USER')).not.toBe(line(sealed, 'DB_USER'));
    expect(await verifySops(resealed, { format: 'dotenv', identities: [alice.identity], recipients: [alice.recipient] })).toMatchObject({ ok: true });
    const leaked = resealed.replace(/^DB_PASSWORD=.*$/m, 'DB_PASSWORD=oops');
    expect((await verifySops(leaked, { format: 'dotenv' })).problems).toEqual(['DB_PASSWORD is not encrypted']);
  });
});

describe('refusing bad input', () => {
  const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: n\nstringData:\n  a: alpha-secret\n  b: bravo-secret\n';

  const cases: [string, string][] = [
    ['malformed YAML', 'apiVersion: v1\nkind: Secret\nstringData:\n  a: "unterminated\n'],
    ['duplicate keys', 'apiVersion: v1\nkind: Secret\nstringData:\n  a: x\n  a: y\n'],
    ['an alias bomb', 'a: &a ["x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b]\nd: [*c,*c,*c,*c,*c,*c,*c,*c]\n'],
    ['non-string keys', 'apiVersion: v1\nkind: Secret\nstringData:\n  1: one\n'],
    ['a top-level list', '- a\n- b\n'],
    ['an explicit tag', 'apiVersion: v1\nkind: Secret\nstringData:\n  a: !!binary aGVsbG8=\n'],
  ];
  for (const [what, text] of cases) {
    it(`refuses ${what} with an InputError`, async () => {
      await expect(sealSops(text, { recipients: [alice.recipient], source: 'bad.yaml' })).rejects.toBeInstanceOf(InputError);
    });
  }

  it('refuses a file over the size cap before parsing it', async () => {
    const err = await sealSops(secret + `# ${'x'.repeat(2000)}\n`, { recipients: [alice.recipient], maxBytes: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/over the 1000-byte cap/);
  });

  it('refuses to seal a file that is already sealed', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    await expect(sealSops(sealed, { recipients: [alice.recipient] })).rejects.toThrow(/already sealed/);
  });

  it('refuses mixing post-quantum and classic recipients', async () => {
    const pq = await generateAgeKeyPair({ postQuantum: true });
    await expect(sealSops(secret, { recipients: [alice.recipient, pq.recipient] })).rejects.toThrow(/cannot be mixed/);
  });

  it('reports a truncated value as malformed input naming the key path', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient], source: 's.yaml' });
    const truncated = sealed.replace(/( {2}a: ENC\[AES256_GCM,data:[^,]*,iv:[^,]*),tag:[^\]]*\]/, '$1');
    const err = await unsealSops(truncated, { identities: [alice.identity], source: 's.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toContain('stringData.a');
  });

  it('refuses a tampered value with a DecryptError naming the file and key path, not the value', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient], source: 's.yaml' });
    const tampered = sealed.replace(/( {2}a: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A'));
    const err = await unsealSops(tampered, { identities: [alice.identity], source: 's.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DecryptError);
    expect((err as Error).message).toContain('s.yaml: stringData.a');
    expect((err as Error).message).not.toContain('alpha-secret');
  });

  it('refuses a value swapped between two keys', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    const encA = / {2}a: (ENC\[[^\]]*\])/.exec(sealed)?.[1];
    const encB = / {2}b: (ENC\[[^\]]*\])/.exec(sealed)?.[1];
    const swapped = sealed.replace(`a: ${encA}`, 'a: SWAP').replace(`b: ${encB}`, `b: ${encA}`).replace('a: SWAP', `a: ${encB}`);
    expect(swapped).not.toBe(sealed);
    await expect(unsealSops(swapped, { identities: [alice.identity] })).rejects.toBeInstanceOf(DecryptError);
  });

  it('refuses a tampered MAC with a MacError', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    const tampered = sealed.replace(/(mac: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A'));
    await expect(unsealSops(tampered, { identities: [alice.identity] })).rejects.toBeInstanceOf(MacError);
    const redated = sealed.replace(/lastmodified: "[^"]+"/, 'lastmodified: "2000-01-01T00:00:00Z"');
    await expect(unsealSops(redated, { identities: [alice.identity] })).rejects.toBeInstanceOf(MacError);
  });

  it('refuses a changed namespace (scope binding through the encrypted annotation)', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    await expect(unsealSops(sealed.replace('namespace: n', 'namespace: other'), { identities: [alice.identity] })).rejects.toBeInstanceOf(ScopeError);
  });

  it('refuses a plaintext value slipped into a sealed section', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    const slipped = sealed.replace(/ {2}b: ENC\[[^\]]*\]/, '  b: plain-value');
    await expect(unsealSops(slipped, { identities: [alice.identity] })).rejects.toBeInstanceOf(DecryptError);
  });

  it('lists every recipient and identity tried when no key matches, never a private key', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient], source: 's.yaml' });
    const err = await unsealSops(sealed, { identities: [bob.identity], source: 's.yaml' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KeyError);
    const msg = (err as Error).message;
    expect(msg).toContain(alice.recipient);
    expect(msg).toContain(bob.recipient);
    expect(msg).not.toContain('AGE-SECRET-KEY');
  });
});

describe('rekey, rotate and verify', () => {
  const secret = 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\nstringData:\n  a: alpha-secret\n';

  it('rekey adds a recipient without touching values, mac, lastmodified or the existing stanza', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    const rekeyed = await rekeySops(sealed, { identities: [alice.identity], recipients: [alice.recipient, bob.recipient] });
    const before = readSopsMetadata(sealed);
    const after = readSopsMetadata(rekeyed);
    expect(after.mac).toBe(before.mac);
    expect(after.lastmodified).toBe(before.lastmodified);
    expect(after.age[0]).toEqual(before.age[0]);
    expect(rekeyed.match(ENC_RE)?.[0]).toBe(sealed.match(ENC_RE)?.[0]);
    expect(await unsealSops(rekeyed, { identities: [bob.identity] })).toBe(secret);
    const removed = await rekeySops(rekeyed, { identities: [alice.identity], recipients: [bob.recipient] });
    await expect(unsealSops(removed, { identities: [alice.identity] })).rejects.toBeInstanceOf(KeyError);
  });

  it('rotate changes the data key and every envelope but keeps the plaintext', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    const rotated = await rotateSops(sealed, { identities: [alice.identity] });
    const k1 = (await unsealSopsForEdit(sealed, { identities: [alice.identity] })).context.dataKey;
    const k2 = (await unsealSopsForEdit(rotated, { identities: [alice.identity] })).context.dataKey;
    expect(Buffer.from(k1).equals(Buffer.from(k2))).toBe(false);
    expect(rotated.match(ENC_RE)?.[0]).not.toBe(sealed.match(ENC_RE)?.[0]);
    expect(await unsealSops(rotated, { identities: [alice.identity] })).toBe(secret);
  });

  it('verify passes an intact file and reports plaintext values, wrong recipients and tampering', async () => {
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    expect(await verifySops(sealed, { identities: [alice.identity], recipients: [alice.recipient] })).toMatchObject({ ok: true, problems: [] });
    const wrong = await verifySops(sealed, { recipients: [bob.recipient] });
    expect(wrong.ok).toBe(false);
    expect(wrong.problems.join('\n')).toContain(`not sealed for recipient ${bob.recipient}`);
    const plain = await verifySops(sealed.replace(/ {2}a: ENC\[[^\]]*\]/, '  a: leaked'), {});
    expect(plain.problems).toEqual(['stringData.a (line 8) is not encrypted']);
    const tampered = await verifySops(sealed.replace('name: s', 'name: t'), { identities: [alice.identity] });
    expect(tampered.problems[0]).toMatch(/sealed for \*\/s but stands as \*\/t/);
    expect((await verifySops(secret, {})).ok).toBe(false);
  });

  it('verify without keys reports envelopes nobody could open: a cut value, a broken MAC, a mangled age stanza', async () => {
    // CI runs verify without keys; a file cut by a bad merge must not pass there and fail in the cluster.
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    const cut = sealed.replace(/( {2}a: ENC\[AES256_GCM,data:[^,]*,iv:)[^,]*/, '$1AAAA');
    expect((await verifySops(cut, {})).problems).toEqual(['stringData.a (line 8) is not a well-formed encrypted value']);
    const mac = sealed.replace(/ {2}mac: ENC\[[^\]]*\]/, '  mac: ENC[AES256_GCM,data:x]');
    expect((await verifySops(mac, {})).problems).toEqual(['sops.mac is not a well-formed encrypted value']);
    const stanza = sealed.replace(/(-----BEGIN AGE ENCRYPTED FILE-----\n)\s*\S+\n/, '$1        AAAA\n');
    expect((await verifySops(stanza, {})).problems).toEqual([`the data key wrapped for ${alice.recipient} is not a well-formed age file`]);
  });

  it('verify without keys reports a Secret value left in plaintext by edited selection rules', async () => {
    // The rules live in the unauthenticated metadata: whoever edits encrypted_regex can put
    // plaintext into stringData, and only a check with keys would see the MAC break.
    const sealed = await sealSops(secret, { recipients: [alice.recipient] });
    for (const rules of ['encrypted_regex: ^nothing$', 'encrypted_regex: ^(data|stringData)$\n  unencrypted_suffix: a']) {
      const edited = sealed.replace(/ {2}a: ENC\[[^\]]*\]/, '  a: leaked').replace('encrypted_regex: ^(data|stringData)$', rules);
      expect((await verifySops(edited, {})).problems).toEqual(['stringData.a (line 8) is not encrypted']);
    }
  });
});

describe('stripping the scope binding on unseal', () => {
  it('removes an annotations map the binding alone filled, wherever sops put it in metadata', async () => {
    const text = 'apiVersion: v1\nkind: Secret\nmetadata:\n    name: a\n    namespace: n\n    annotations:\n        sealops.dev/scope: n/a\nstringData:\n    k: v-secret\n';
    const sealed = await sealSops(text, { recipients: [alice.recipient], rules: { encrypted_regex: '^(data|stringData|sealops\\.dev/scope)$' } });
    expect(sealed).not.toContain('n/a');
    expect(await unsealSops(sealed, { identities: [alice.identity] })).toBe('apiVersion: v1\nkind: Secret\nmetadata:\n    name: a\n    namespace: n\nstringData:\n    k: v-secret\n');
  });
});
