import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scanFile } from '../../../src/scan/file.js';
import { randomChars } from '../samples.js';

const judge = (path: string, text: string) => scanFile(path, Buffer.from(text)).findings;
const rules = (path: string, text: string) => judge(path, text).map((f) => `${f.rule}@${f.line}`);

describe('Secret manifests', () => {
  it('flags a stringData value and points at its line', () => {
    const v = randomChars(12);
    const text = `apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  password: ${v}\n`;
    expect(rules('db.yaml', text)).toEqual(['secret-plaintext-stringdata@6']);
  });

  it('decodes data values and flags a non-empty one', () => {
    const text = `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  user: ${Buffer.from('admin').toString('base64')}\n  blank: ""\n  hole: ${Buffer.from('${X}').toString('base64')}\n`;
    expect(rules('db.yaml', text)).toEqual(['secret-plaintext-data@5']);
  });

  it('flags a data value that is not base64 as plaintext written in the wrong place', () => {
    const text = 'apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: not base64!\n';
    expect(rules('db.yaml', text)).toEqual(['secret-invalid-data@5']);
  });

  it('flags a value written as a !!binary scalar, which kubectl decodes and applies', () => {
    // go-yaml (kubectl, kustomize) turns `!!binary` into the decoded bytes: a stringData value
    // is applied as that text, a data value as base64 of it.
    const v = randomChars(14);
    const b64 = Buffer.from(v).toString('base64');
    const text = `apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: !!binary ${b64}\ndata:\n  token: !!binary ${Buffer.from(b64).toString('base64')}\n`;
    expect(rules('db.yaml', text)).toEqual(['secret-plaintext-data@7', 'secret-plaintext-stringdata@5']);
  });

  it('flags numbers and booleans in stringData, which are values too', () => {
    const text = 'kind: Secret\napiVersion: v1\nstringData:\n  pin: 123456\n  flag: true\n';
    expect(rules('s.yml', text)).toEqual(['secret-plaintext-stringdata@4', 'secret-plaintext-stringdata@5']);
  });

  it('finds Secrets in every document of a multi-document file', () => {
    const doc = (n: string) => `---\napiVersion: v1\nkind: Secret\nmetadata: {name: ${n}}\nstringData: {k: ${randomChars(10)}}\n`;
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n${doc('a')}${doc('b')}`;
    expect(rules('m.yaml', text)).toEqual(['secret-plaintext-stringdata@9', 'secret-plaintext-stringdata@14']);
  });

  it('finds a Secret inside the items of a List, in YAML and in JSON', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' }, stringData: { token: randomChars(16) } };
    const list = { apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } }, secret] };
    expect(judge('l.json', JSON.stringify(list, null, 2)).map((f) => f.rule)).toEqual(['secret-plaintext-stringdata']);
    const yaml = `apiVersion: v1\nkind: SecretList\nitems:\n  - apiVersion: v1\n    kind: Secret\n    metadata: {name: y}\n    data: {a: ${Buffer.from('b').toString('base64')}}\n`;
    expect(rules('l.yaml', yaml)).toEqual(['secret-plaintext-data@7']);
  });

  it('flags a JSON Secret with the line of the value', () => {
    const text = `{\n  "apiVersion": "v1",\n  "kind": "Secret",\n  "metadata": {"name": "j"},\n  "stringData": {\n    "key": "${randomChars(20)}"\n  }\n}\n`;
    expect(rules('s.json', text)).toEqual(['secret-plaintext-stringdata@6']);
  });

  it('leaves ConfigMaps and other kinds with a data map alone', () => {
    const text = `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  password: ${randomChars(12)}\n`;
    expect(rules('c.yaml', text)).toEqual([]);
  });

  it('follows an alias to the map of values', () => {
    const text = `defaults: &vals\n  password: ${randomChars(12)}\nkind: Secret\napiVersion: v1\nstringData: *vals\n`;
    expect(judge('a.yaml', text).map((f) => f.rule)).toEqual(['secret-plaintext-stringdata']);
  });
});

describe('SealedSecrets', () => {
  const sealed = readFileSync(new URL('../fixtures/clean/sealedsecret/db-sealed.yaml', import.meta.url), 'utf8');

  it('passes a SealedSecret written by kubeseal', () => {
    expect(judge('sealed.yaml', sealed)).toEqual([]);
  });

  it('flags an encryptedData value replaced by plaintext base64 (partly sealed)', () => {
    const broken = sealed.replace(/(username: )\S+/, `$1${Buffer.from('admin').toString('base64')}`);
    expect(judge('sealed.yaml', broken).map((f) => f.rule)).toEqual(['sealedsecret-malformed']);
  });

  it('flags plaintext in the template data next to sealed values, but not a template expression', () => {
    const withData = sealed.replace('    type: Opaque', `    type: Opaque\n    data:\n      url: '{{ index . "password" }}'\n      extra: ${randomChars(12)}`);
    expect(judge('sealed.yaml', withData).map((f) => f.rule)).toEqual(['sealedsecret-plaintext-template']);
  });
});
