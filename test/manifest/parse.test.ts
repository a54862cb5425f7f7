import { describe, expect, it } from 'vitest';
import { checkManifestSize, detectManifestFormat, InputError, isKubernetesSecret, manifestRef, parseManifest, stringifyTokens } from '../../src/index.js';

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
