// Rekey and rotate of a sealed Secret read by lines (rewrap-lines.ts, sealed-yaml.ts): the same
// results as through the YAML parser, and undefined (the parser's verdict) for everything else.
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { DecryptError, generateAgeKeyPair, readSopsMetadata, rekeySops, rotateSops, sealSops, unsealSops, verifySops, type AgeKeyPair } from '../../../src/index.js';
import { rekeyByLines, rotateByLines } from '../../../src/formats/sops/rewrap-lines.js';
import { readSealedBody, splitSealedYaml } from '../../../src/formats/sops/sealed-yaml.js';

const SECRET = `# Database credentials for orders.
apiVersion: v1
kind: Secret
metadata:
  name: orders-db
  namespace: shop
  labels:
    app: orders
    tier: "db"
immutable: true
type: Opaque
data:
  token: aHVudGVyMi1sb25nLXRva2Vu
stringData:
  password: 'pä$$wörd: with a colon'
  user: orders-app
`;
const ENC = /ENC\[AES256_GCM,data:[^\]]*\]/g;
const body = (t: string): string => t.slice(0, t.indexOf('\nsops:\n') + 1);

let alice: AgeKeyPair;
let bob: AgeKeyPair;
let sealed: string;
beforeAll(async () => {
  [alice, bob] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair()]);
  sealed = await sealSops(SECRET, { recipients: [alice.recipient] });
});

describe('readSealedBody', () => {
  it('reads each scalar with its path, value and place, and the indentation unit the parser finds', () => {
    const b = splitSealedYaml(sealed)?.body ?? '';
    const read = readSealedBody(b);
    expect(read?.indentUnit).toBe('  ');
    const byPath = new Map(read?.leaves.map((l) => [l.path.join('.'), l]));
    expect(byPath.get('metadata.labels.tier')?.value).toBe('db');
    expect(byPath.get('immutable')?.value).toBe(true);
    const pw = byPath.get('stringData.password');
    expect(b.slice(pw?.start, pw?.end)).toMatch(/^'ENC\[AES256_GCM,.*\]'$/);
    expect([...byPath.keys()]).toEqual(['apiVersion', 'kind', 'metadata.annotations.sealops.dev/scope', 'metadata.name', 'metadata.namespace', 'metadata.labels.app', 'metadata.labels.tier', 'immutable', 'type', 'data.token', 'stringData.password', 'stringData.user']);
  });

  it('gives up on every shape outside its grammar', () => {
    const shapes: Record<string, string> = {
      'a list': 'a:\n  - x\n',
      'a flow map': 'a: {b: c}\n',
      'a block scalar': 'a: |\n  x\n',
      'an anchor': 'a: &x y\n',
      'an alias': 'a: *x\n',
      'a tag': 'a: !!str y\n',
      'a trailing comment': 'a: b # c\n',
      'a sealed comment': 'a: b\n#ENC[AES256_GCM,data:x,iv:y,tag:z,type:comment]\n',
      'a duplicate key': 'a: b\na: c\n',
      'uneven indentation': 'a:\n    b: c\n  d: e\n',
      'a quoted key': '"a": b\n',
      'a number': 'a: 12\n',
      'a timestamp': 'a: 2024-01-02\n',
      'a null': 'a: ~\n',
      'a trailing space': 'a: b \n',
      'a numeric key': '1: b\n',
      'an escape': 'a: "b\\nc"\n',
      'a multi-line plain scalar': 'a: b\n  c\n',
      'an indented root': '  a: b\n',
    };
    for (const [what, text] of Object.entries(shapes)) expect(readSealedBody(text), what).toBeUndefined();
  });
});

describe('rekey and rotate by lines', () => {
  it('rekey keeps the body byte for byte and only re-wraps the data key, as through the parser', async () => {
    const rekeyed = await rekeyByLines(sealed, { identities: [alice.identity], recipients: [alice.recipient, bob.recipient] });
    expect(rekeyed).toBeDefined();
    expect(body(rekeyed as string)).toBe(body(sealed));
    const [before, after] = [readSopsMetadata(sealed), readSopsMetadata(rekeyed as string)];
    expect(after.age.map((e) => e.recipient)).toEqual([alice.recipient, bob.recipient]);
    expect(after.age[0]).toEqual(before.age[0]);
    expect({ ...after, age: [] }).toEqual({ ...before, age: [] });
    expect(await unsealSops(rekeyed as string, { identities: [bob.identity] })).toBe(SECRET);
    // The engine takes this path: its result has the same shape.
    const viaEngine = await rekeySops(sealed, { identities: [alice.identity], recipients: [alice.recipient, bob.recipient] });
    expect(body(viaEngine)).toBe(body(sealed));
  });

  it('rotate replaces every envelope in its quotes, keeps the plaintext and every other byte', async () => {
    const rotated = await rotateByLines(sealed, { identities: [alice.identity] });
    expect(rotated).toBeDefined();
    const text = rotated as string;
    expect(body(text).replace(ENC, 'ENC')).toBe(body(sealed).replace(ENC, 'ENC'));
    const old = new Set(sealed.match(ENC));
    for (const enc of text.match(ENC) ?? []) expect(old.has(enc)).toBe(false);
    expect(await unsealSops(text, { identities: [alice.identity] })).toBe(SECRET);
    expect((await verifySops(text, { identities: [alice.identity] })).ok).toBe(true);
  });

  it('leaves to the parser a tampered value, a wrong key and a value in clear, whose verdicts stand', async () => {
    const tampered = sealed.replace(/( {2}user: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A'));
    expect(tampered).not.toBe(sealed);
    expect(await rekeyByLines(tampered, { identities: [alice.identity], recipients: [bob.recipient] })).toBeUndefined();
    await expect(rekeySops(tampered, { identities: [alice.identity], recipients: [bob.recipient] })).rejects.toBeInstanceOf(DecryptError);
    expect(await rekeyByLines(sealed, { identities: [bob.identity], recipients: [bob.recipient] })).toBeUndefined();
    await expect(rekeySops(sealed, { identities: [bob.identity], recipients: [bob.recipient] })).rejects.toThrow(/no identity matches/);
    const loose = await sealSops('apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: prod\nstringData:\n  a: leaked-value-77\n', {
      recipients: [alice.recipient],
      rules: { encrypted_regex: '^(data|stringData|sealops\\.dev/scope)$', mac_only_encrypted: true },
    });
    const leaky = loose.replace('  name: s\n', '  labels:\n    hint: leaked-value-77\n  name: s\n');
    expect(await rotateByLines(leaky, { identities: [alice.identity] })).toBeUndefined();
    expect(await rotateSops(leaky, { identities: [alice.identity] })).not.toContain('leaked-value-77');
  });
});

describe('the line reader against the YAML parser', () => {
  it('reads any sealed Secret either as the parser does or not at all', async () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/);
    const text = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'grapheme', maxLength: 8 }), fc.constantFrom('true', 'no', '1.5', '0x1F', '~', 'a: b', 'a #b', '- x', '"q"', "it's", '2024-01-02'));
    const flatten = (v: unknown, path: string[], out: [string, unknown][]): [string, unknown][] => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatten(x, [...path, k], out);
      else if (v !== null) out.push([path.join('.'), v]);
      return out;
    };
    await fc.assert(
      fc.asyncProperty(fc.dictionary(word, text, { maxKeys: 4 }), fc.dictionary(word, text, { minKeys: 1, maxKeys: 4 }), async (labels, stringData) => {
        const doc = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'n', ...(Object.keys(labels).length ? { labels } : {}) }, stringData };
        const sealed = await sealSops(stringify(doc), { recipients: [alice.recipient] });
        const split = splitSealedYaml(sealed);
        const read = split && readSealedBody(split.body);
        if (!split || !read) return;
        expect(read.leaves.map((l) => [l.path.join('.'), l.value])).toEqual(flatten(parse(split.body), [], []));
        const rekeyed = await rekeyByLines(sealed, { identities: [alice.identity], recipients: [bob.recipient] });
        expect(rekeyed).toBeDefined();
        expect(body(rekeyed as string)).toBe(body(sealed));
        expect(await unsealSops(rekeyed as string, { identities: [bob.identity] })).toBe(await unsealSops(sealed, { identities: [alice.identity] }));
      }),
      { numRuns: 60 },
    );
  });
});
