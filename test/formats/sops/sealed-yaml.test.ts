// The strict reader of the `sops:` block (sealed-yaml.ts) against the YAML parser: the same
// metadata for every file sops and sealops write, and no reading at all of anything else.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { decryptSopsDocuments, generateAgeKeyPair, readSopsMetadata, rekeySops, rotateSops, sealSops, unsealSops, verifySops, type AgeKeyPair } from '../../../src/index.js';
import { readSealedBody, splitSealedYaml } from '../../../src/formats/sops/sealed-yaml.js';

const VECTORS = join(import.meta.dirname, '../../vectors');

function sealedYamlVectors(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sealedYamlVectors(path);
    return /\.ya?ml$/.test(name) && /^sops:$/m.test(readFileSync(path, 'utf8')) ? [path] : [];
  });
}

let key: AgeKeyPair;
let other: AgeKeyPair;
let sealed: string;
beforeAll(async () => {
  [key, other] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair()]);
  sealed = await sealSops('apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: prod\nstringData:\n  password: hunter2-long\n  user: admin\n', { recipients: [key.recipient, other.recipient] });
});

describe('splitSealedYaml', () => {
  it('reads every block sops and sealops wrote as the YAML parser does, and leaves key groups to the parser', () => {
    const files = sealedYamlVectors(VECTORS);
    expect(files.length).toBeGreaterThanOrEqual(8);
    const read = [sealed, ...files.map((f) => readFileSync(f, 'utf8'))].map((text) => ({ text, split: splitSealedYaml(text) }));
    for (const { text, split } of read) {
      if (/^ {4}key_groups:$/m.test(text)) expect(split).toBeUndefined();
      else {
        expect(split?.sops).toEqual((parse(text) as { sops: unknown }).sops);
        expect(`${split?.body}sops:\n`).toBe(text.slice(0, text.indexOf('\nsops:\n') + 7));
      }
    }
    expect(read.filter((r) => r.split).length).toBe(read.length - 1);
  });

  it('reads the body of every vector it takes as the YAML parser does: the same scalars, in order', () => {
    const flatten = (v: unknown, path: string[], out: [string, unknown][]): [string, unknown][] => {
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) flatten(x, [...path, k], out);
      else if (v !== null) out.push([path.join('.'), v]);
      return out;
    };
    let taken = 0;
    for (const text of [sealed, ...sealedYamlVectors(VECTORS).map((f) => readFileSync(f, 'utf8'))]) {
      const split = splitSealedYaml(text);
      const body = split && readSealedBody(split.body);
      if (!split || !body) continue;
      taken++;
      expect(body.leaves.map((l) => [l.path.join('.'), l.value])).toEqual(flatten(parse(split.body), [], []));
      for (const l of body.leaves) expect(split.body.slice(l.start, l.end).replace(/^(["'])(.*)\1$/, '$2')).toBe(String(l.value));
    }
    expect(taken).toBeGreaterThanOrEqual(4);
  });

  it('gives up on every shape outside its grammar, and the parser then reads the file as before', async () => {
    const variants: Record<string, string> = {
      'a tab': sealed.replace('  name: db', '  name:\tdb'),
      'CRLF line ends': sealed.replace(/\n/g, '\r\n'),
      'a document marker': `---\n${sealed}`,
      'a directive': `%YAML 1.2\n---\n${sealed}`,
      'a comment in the block': sealed.replace('\n  lastmodified:', '\n  # rotated\n  lastmodified:'),
      'a number': sealed.replace('\n  lastmodified:', '\n  shamir_threshold: 1\n  lastmodified:'),
      'a null': sealed.replace('\n  lastmodified:', '\n  unencrypted_suffix: ~\n  lastmodified:'),
      'an anchor': sealed.replace(/\n {2}version: (\S+)/, '\n  version: &v $1'),
      'a strip chomping header': sealed.replace(/- enc: \|\n/, '- enc: |-\n'),
      'a blank line in the block': sealed.replace('\n  lastmodified:', '\n\n  lastmodified:'),
      'a duplicate key in the block': sealed.replace(/\n {2}version: (\S+)/, '\n  version: $1\n  version: $1'),
      'an unknown age entry key': sealed.replace(/\n( +)recipient: /, '\n$1note: x\n$1recipient: '),
    };
    for (const [what, text] of Object.entries(variants)) {
      expect(splitSealedYaml(text), what).toBeUndefined();
    }
    // Each variant that still means the same file opens to the same documents through the parser.
    const want = await decryptSopsDocuments(sealed, { identities: [key.identity] });
    for (const what of ['CRLF line ends', 'a document marker', 'a directive', 'a comment in the block', 'a null', 'a blank line in the block']) {
      expect(await decryptSopsDocuments(variants[what] as string, { identities: [key.identity] }), what).toEqual(want);
    }
    // A `sops` key written another way, before the block, is the parser's to refuse.
    const twice = `"sops": 1\n${sealed}`;
    expect(splitSealedYaml(twice)).toBeUndefined();
    await expect(unsealSops(twice, { identities: [key.identity] })).rejects.toThrow(/failed to parse/);
  });

  it('opens, rekeys and rotates a file alike whether its block is read by lines or by the parser', async () => {
    // A comment in the block sends the same file to the parser (and is dropped with the block).
    const whole = sealed.replace('\n  lastmodified:', '\n  # kept by nobody\n  lastmodified:');
    expect(splitSealedYaml(sealed)).toBeDefined();
    expect(splitSealedYaml(whole)).toBeUndefined();
    expect(await unsealSops(sealed, { identities: [key.identity] })).toBe(await unsealSops(whole, { identities: [key.identity] }));
    const body = (t: string): string => t.slice(0, t.indexOf('\nsops:\n'));
    const [a, b] = await Promise.all([sealed, whole].map((t) => rekeySops(t, { identities: [key.identity], recipients: [other.recipient] })));
    expect(body(a as string)).toBe(body(b as string));
    expect(readSopsMetadata(a as string).age.map((e) => e.recipient)).toEqual([other.recipient]);
    expect(readSopsMetadata(b as string).age.map((e) => e.recipient)).toEqual([other.recipient]);
    const { age: _a, ...restA } = readSopsMetadata(a as string);
    const { age: _b, ...restB } = readSopsMetadata(b as string);
    expect(restA).toEqual(restB);
    for (const t of [a, b, await rotateSops(sealed, { identities: [key.identity] }), await rotateSops(whole, { identities: [key.identity] })]) {
      expect((await verifySops(t as string, { identities: [other.identity] })).ok).toBe(true);
    }
  });
});
