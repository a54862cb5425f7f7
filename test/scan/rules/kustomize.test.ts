import { readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { checkKustomization, judgeGeneratorFile } from '../../../src/scan/rules/kustomize.js';
import { randomChars } from '../samples.js';

const parse = (text: string) => parseDocument(text) as Parameters<typeof checkKustomization>[1];

describe('kustomize secretGenerator', () => {
  it('flags a plaintext literal and lets a placeholder literal pass', () => {
    const text = `secretGenerator:\n  - name: db\n    literals:\n      - password=${randomChars(10)}\n      - user=\${DB_USER}\n      - empty=\n`;
    const { findings } = checkKustomization('apps/kustomization.yaml', parse(text));
    expect(findings.map((f) => f.rule)).toEqual(['kustomize-literal']);
    expect(findings[0]!.message).toContain('password');
    expect(text.slice(findings[0]!.offset)).toMatch(/^password=/);
  });

  it('ignores configMapGenerator literals', () => {
    const text = `configMapGenerator:\n  - name: c\n    literals: [password=${randomChars(10)}]\n`;
    expect(checkKustomization('kustomization.yaml', parse(text)).findings).toEqual([]);
  });

  it('resolves envs and files entries relative to the kustomization, and drops paths leaving the repository', () => {
    const text = 'secretGenerator:\n  - name: a\n    envs: [secret.env]\n    files: [tls.key=certs/tls.key, ../../../outside.txt, plain.txt]\n  - name: b\n    env: legacy.env\n';
    const { refs } = checkKustomization('overlays/prod/kustomization.yaml', parse(text));
    expect(refs.map((r) => `${r.kind}:${r.target}`)).toEqual(['envs:overlays/prod/secret.env', 'files:overlays/prod/certs/tls.key', 'files:overlays/prod/plain.txt', 'envs:overlays/prod/legacy.env']);
  });

  it('judges a named env file: plaintext flagged, SOPS-sealed passes, only placeholders pass', () => {
    const ref = { target: 'secret.env', offset: 0, kind: 'envs' as const, generator: 'db' };
    expect(judgeGeneratorFile(ref, Buffer.from(`PASSWORD=${randomChars(10)}\n`))?.rule).toBe('kustomize-unsealed-file');
    const sealed = readFileSync(new URL('../fixtures/clean/sops/flux-envs/env.env', import.meta.url));
    expect(judgeGeneratorFile(ref, sealed)).toBeUndefined();
    expect(judgeGeneratorFile(ref, Buffer.from('# fill in\nPASSWORD=\nTOKEN=<token>\n'))).toBeUndefined();
    expect(judgeGeneratorFile(ref, Buffer.concat([sealed, Buffer.from('LATE=plain\n')]))?.message).toContain('partly sealed');
  });

  it('judges a named file: plaintext flagged, a SOPS binary-store file passes', () => {
    const ref = { target: 'tls.key', offset: 0, kind: 'files' as const, generator: 'tls' };
    expect(judgeGeneratorFile(ref, Buffer.from(randomChars(40)))?.rule).toBe('kustomize-unsealed-file');
    const sealed = readFileSync(new URL('../fixtures/clean/sops/flux-files/file.txt', import.meta.url));
    expect(judgeGeneratorFile(ref, sealed)).toBeUndefined();
  });
});
