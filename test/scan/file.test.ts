import { describe, expect, it } from 'vitest';
import { SCAN_MAX_FILE_BYTES, scanFile } from '../../src/scan/file.js';
import { plainSecret, randomChars, sampleTokens } from './samples.js';

describe('scanFile', () => {
  it('reports a .yaml that is not YAML as an error, never a pass', () => {
    const v = scanFile('broken.yaml', Buffer.from('apiVersion: v1\nkind: Secret\nstringData:\n  a: [unclosed\n'));
    expect(v.findings.map((f) => [f.rule, f.severity])).toEqual([['parse-error', 'error']]);
  });

  it('reports a .json that is not JSON as an error with the line of the fault', () => {
    const v = scanFile('x.json', Buffer.from('{\n  "a": 1,\n  "b": oops\n}\n'));
    expect(v.findings.map((f) => [f.rule, f.line])).toEqual([['parse-error', 3]]);
  });

  it('skips binary files with a note, and reports a file over the size cap as a finding that blocks', () => {
    expect(scanFile('img.png', Buffer.from([0x89, 0x50, 0, 1, 2]))).toMatchObject({ findings: [], note: 'skipped: binary file' });
    const big = Buffer.alloc(SCAN_MAX_FILE_BYTES + 1, 0x61);
    expect(scanFile('big.txt', big).findings.map((f) => [f.rule, f.severity])).toEqual([['file-too-large', 'finding']]);
  });

  it('judges a Secret manifest in a file of any extension, and stays quiet on prose that merely mentions one', () => {
    const text = plainSecret('db', 'password', randomChars(14));
    for (const name of ['secret.txt', 'db.conf', 'deploy/SECRET', 'notes.md']) {
      expect(scanFile(name, Buffer.from(text)).findings.map((f) => f.rule), name).toEqual(['secret-plaintext-stringdata']);
    }
    const json = JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db' }, stringData: { password: randomChars(14) } });
    expect(scanFile('db.out', Buffer.from(json)).findings.map((f) => f.rule)).toEqual(['secret-plaintext-stringdata']);
    const prose = '# Secrets\n\nWrite a manifest with\n\n    kind: Secret\n\nand seal it: it must never hold a: "value: here".\n';
    expect(scanFile('README.md', Buffer.from(prose)).findings).toEqual([]);
  });

  it('flags literal data/stringData values of a Secret in a Helm template, not template expressions', () => {
    const v = randomChars(16);
    const tpl = `{{- if .Values.db.create }}\napiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ include "chart.fullname" . }}\ntype: Opaque\nstringData:\n  user: {{ .Values.db.user | quote }}\n  password: "${v}"\n  {{- range $k, $val := .Values.extra }}\n  {{ $k }}: {{ $val | quote }}\n  {{- end }}\ndata:\n  token: ${Buffer.from(v).toString('base64')}\n  ref: {{ .Values.token | b64enc }}\n{{- end }}\n---\napiVersion: v1\nkind: ConfigMap\ndata:\n  plain: value-is-fine\n`;
    const found = scanFile('chart/templates/secret.yaml', Buffer.from(tpl)).findings.map((f) => [f.rule, f.line]);
    expect(found).toEqual([['secret-plaintext-stringdata', 9], ['secret-plaintext-data', 14]]);
  });

  it('judges a UTF-16 file with a byte order mark as text, since YAML parsers (and kubectl) read it', () => {
    const text = plainSecret('db', 'password', randomChars(14));
    for (const [bom, body] of [
      [[0xff, 0xfe], Buffer.from(text, 'utf16le')],
      [[0xfe, 0xff], Buffer.from(text, 'utf16le').swap16()],
    ] as const) {
      const v = scanFile('s.yaml', Buffer.concat([Buffer.from(bom), body]));
      expect(v.note).toBeUndefined();
      expect(v.findings.map((f) => [f.rule, f.line])).toEqual([['secret-plaintext-stringdata', plainSecret('db', 'password', 'x').split('\n').findIndex((l) => l.includes('password')) + 1]]);
    }
  });

  it('reports a Secret nested too deep to compose safely as an error, not a pass or a crash', () => {
    const deep = `apiVersion: v1\nkind: Secret\nstringData:\n  a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    for (let i = 0; i < 6; i++) {
      const v = scanFile('deep.yaml', Buffer.from(deep));
      expect(v.findings.map((f) => [f.rule, f.severity, f.line])).toEqual([['parse-error', 'error', 4]]);
      expect(v.findings[0]?.message).toMatch(/nested deeper than \d+ levels/);
    }
  });

  it('applies the token rules to any text file, not only manifests', () => {
    const t = sampleTokens()['aws-access-key-id']!;
    expect(scanFile('src/config.ts', Buffer.from(`const key = "${t}";\n`)).findings.map((f) => f.rule)).toEqual(['aws-access-key-id']);
  });

  it('reports a token inside a Secret value once, as the Secret finding', () => {
    const t = sampleTokens()['github-token']!;
    const v = scanFile('s.yaml', Buffer.from(plainSecret('gh', 'token', t)));
    expect(v.findings.map((f) => f.rule)).toEqual(['secret-plaintext-stringdata']);
  });

  it('allows a finding with sealops:allow on its line or on the line above, and only there', () => {
    const text = `apiVersion: v1\nkind: Secret\nstringData:\n  a: ${randomChars(9)} # sealops:allow reviewed\n  # sealops:allow test fixture\n  b: ${randomChars(9)}\n  c: ${randomChars(9)}\n`;
    const v = scanFile('s.yaml', Buffer.from(text));
    expect(v.findings.map((f) => [f.line, f.allowed ?? 'open'])).toEqual([
      [4, 'inline'],
      [6, 'inline'],
      [7, 'open'],
    ]);
  });

  it('treats an unparseable template under templates/ as a template, with a note, and still applies token rules', () => {
    const t = sampleTokens()['slack-webhook']!;
    const v = scanFile('chart/templates/cm.yaml', Buffer.from(`{{- if .Values.x }}\nurl: ${t}\n{{- end }}\n`));
    expect(v.note).toMatch(/template/);
    expect(v.findings.map((f) => f.rule)).toEqual(['slack-webhook']);
  });

  it('parses a file whose double-quoted escapes spell Secret, so the word check cannot be dodged', () => {
    const text = `apiVersion: v1\nkind: "\\u0053ecret"\nstringData:\n  password: ${randomChars(12)}\n`;
    expect(scanFile('s.yaml', Buffer.from(text)).findings.map((f) => f.rule)).toEqual(['secret-plaintext-stringdata']);
  });

  it('reports a syntax error in a YAML file that holds no Secret words', () => {
    expect(scanFile('x.yml', Buffer.from('a: [1, 2\nb: }\n')).findings.map((f) => f.rule)).toEqual(['parse-error']);
  });
});
