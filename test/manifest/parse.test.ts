import { describe, expect, it } from 'vitest';
import { checkManifestSize, detectManifestFormat, InputError, isKubernetesSecret, manifestRef } from '../../src/index.js';
import { MAX_MANIFEST_DEPTH, parseManifest, stringifyTokens } from '../../src/manifest/parse.js';

const errorOf = (f: () => unknown): Error | undefined => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  return undefined;
};

describe('parsing manifests for byte-preserving edits', () => {
  it('gives back every byte of an untouched file, CRLF and comments included', () => {
    const text = '# head\r\na: 1   # line\r\n\r\nb: {x: "y"}\r\n---\r\nc: |\r\n  block\r\n...\r\n';
    const parsed = parseManifest(text, { source: 'f.yaml' });
    expect(stringifyTokens(parsed.tokens)).toBe(text);
    expect(parsed.eol).toBe('\r\n');
    expect(parsed.docs).toHaveLength(2);
    expect(parsed.docTokens).toHaveLength(2);
  });

  it('names the line of a duplicate key or a syntax error but never quotes the content', () => {
    const dup = errorOf(() => parseManifest('a: 1\nsecret: hunter2\nsecret: hunter3\n', { source: 'd.yaml' }));
    expect(dup).toBeInstanceOf(InputError);
    expect(dup?.message).toMatch(/^failed to parse d\.yaml: duplicate key at line 3$/);
    const bad = errorOf(() => parseManifest('a: "hunter2\n', { source: 'b.yaml' }));
    expect(bad).toBeInstanceOf(InputError);
    expect(bad?.message).not.toContain('hunter2');
  });

  it('refuses anchors and aliases, which an alias bomb is made of', () => {
    const bomb = 'a: &a [x, x, x]\nb: &b [*a, *a, *a]\nc: [*b, *b, *b]\n';
    expect(errorOf(() => parseManifest(bomb, { source: 'bomb.yaml' }))?.message).toMatch(/anchors and aliases are not supported at line 1/);
    expect(parseManifest(bomb, { allowAliases: true }).docs).toHaveLength(1);
  });

  it('refuses collections nested deeper than MAX_MANIFEST_DEPTH, in flow and block style, again and again', () => {
    // Composing ~2,000 nested flow collections a few times makes V8 abort the process with a
    // fatal out-of-memory (not an exception): the loop below is what killed the process.
    const flow = (n: number) => `kind: Secret\nstringData:\n  a: ${'['.repeat(n)}${']'.repeat(n)}\n`;
    const block = (n: number) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' v\n';
    for (let i = 0; i < 6; i++) {
      const err = errorOf(() => parseManifest(flow(20_000), { source: 'deep.yaml' }));
      expect(err).toBeInstanceOf(InputError);
      expect(err?.message).toBe(`failed to parse deep.yaml: collections nested deeper than ${MAX_MANIFEST_DEPTH} levels at line 3`);
    }
    expect(errorOf(() => parseManifest(block(MAX_MANIFEST_DEPTH + 1), { source: 'b.yaml' }))?.message).toMatch(/nested deeper than 500 levels at line 501$/);
    // At the limit itself everything still parses (the root map of `flow` is one level).
    expect(parseManifest(flow(MAX_MANIFEST_DEPTH - 2)).docs).toHaveLength(1);
    expect(parseManifest(block(MAX_MANIFEST_DEPTH)).docs).toHaveLength(1);
  });

  it('reads an empty or comment-only file as no documents, keeping its bytes', () => {
    for (const text of ['', '# only a comment\n', '\n\n']) {
      const parsed = parseManifest(text, { source: 'e.yaml' });
      expect(parsed.docs).toHaveLength(0);
      expect(stringifyTokens(parsed.tokens)).toBe(text);
    }
  });

  it('refuses input over the size cap', () => {
    expect(() => checkManifestSize('x'.repeat(11), 'f', 10)).toThrow(/11 bytes is over the 10-byte cap/);
    expect(() => parseManifest('a: b\n', { maxBytes: 3 })).toThrow(InputError);
  });

  it('detects JSON by name or by content', () => {
    expect(detectManifestFormat('x.json', 'a: b')).toBe('json');
    expect(detectManifestFormat('x.yml', '{}')).toBe('yaml');
    expect(detectManifestFormat(undefined, '  {"a": 1}')).toBe('json');
    expect(detectManifestFormat(undefined, 'a: 1')).toBe('yaml');
  });
});

describe('Secret detection', () => {
  it('recognises core/v1 Secrets only', () => {
    expect(isKubernetesSecret({ apiVersion: 'v1', kind: 'Secret' })).toBe(true);
    expect(isKubernetesSecret({ apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret' })).toBe(false);
    expect(isKubernetesSecret({ apiVersion: 'v1', kind: 'ConfigMap' })).toBe(false);
    expect(isKubernetesSecret(null)).toBe(false);
    expect(manifestRef({ metadata: { name: 'db', namespace: 'prod' } })).toBe('prod/db');
  });
});
