import { describe, expect, it } from 'vitest';
import { formatKubesealYaml, readSealedSecretDocuments } from '../../../src/index.js';
import { InputError } from '../../../src/errors.js';

describe('readSealedSecretDocuments', () => {
  it('reads multi-document YAML and JSON, dropping empty documents', () => {
    expect(readSealedSecretDocuments('---\na: 1\n---\n---\nb: 2\n')).toEqual([{ a: 1 }, { b: 2 }]);
    expect(readSealedSecretDocuments('{"kind":"Secret"}')).toEqual([{ kind: 'Secret' }]);
  });

  it('reports invalid YAML as an InputError with the line, without quoting the text', () => {
    let message = '';
    try {
      readSealedSecretDocuments('a: 1\npassword: "hunter2\n', 'x.yaml');
    } catch (err) {
      expect(err).toBeInstanceOf(InputError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^failed to parse x.yaml: invalid YAML/);
    expect(message).not.toContain('hunter2');
  });

  it('refuses collections nested too deep with an InputError, every time', () => {
    const deep = `kind: Secret\nstringData:\n  a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`;
    for (let i = 0; i < 6; i++) expect(() => readSealedSecretDocuments(deep, 'deep.yaml')).toThrow(/^failed to parse deep\.yaml: collections nested deeper than \d+ levels at line 3$/);
    expect(() => readSealedSecretDocuments(deep)).toThrow(InputError);
  });

  it('refuses an alias bomb with an InputError', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++) lines.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(', ')}]`);
    expect(() => readSealedSecretDocuments(lines.join('\n'))).toThrow(InputError);
  });
});

describe('formatKubesealYaml', () => {
  it('quotes strings a YAML 1.1 reader would take for booleans, numbers or dates, as kubeseal does', () => {
    // The quoting kubeseal v0.40.0 itself printed for these annotation values.
    const text = formatKubesealYaml({ metadata: { annotations: { a: 'true', b: 'yes', c: '123', f: 'on', i: '2024-01-01', j: 'y', l: 'NO', m: '' } } });
    expect(text).toBe(
      '---\nmetadata:\n  annotations:\n    a: "true"\n    b: "yes"\n    c: "123"\n    f: "on"\n    i: "2024-01-01"\n    j: "y"\n    l: "NO"\n    m: ""\n',
    );
  });
});
