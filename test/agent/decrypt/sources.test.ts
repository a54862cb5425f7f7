import { describe, expect, it } from 'vitest';
import { indexSealedSources } from '../../../src/agent/decrypt/sources.js';

// Indexing reads each file holding `ENC[…]` before any key is tried, so the files need not be real.
const VALUE = 'ENC[AES256_GCM,data:c2VjcmV0,iv:9kR1m8Jz3sY8v2zF0Q6h1dA4n5B7c8D9e0F1g2H3i4J=,tag:Zm9vYmFyYmF6cXV4cXV1eA==,type:str]';
const sealed = (keys: string[]): Buffer =>
  Buffer.from(
    'apiVersion: v1\nkind: Secret\nmetadata:\n  name: big\n  namespace: bench\nstringData:\n' + keys.map((k) => `  ${k}: ${VALUE}\n`).join('') + `sops:\n  mac: ${VALUE}\n  version: 3.9.0\n`,
  );

describe('indexSealedSources', () => {
  it('indexes a SOPS document by its MAC, with the file it came from', () => {
    const index = indexSealedSources([{ path: 'apps/big.sops.yaml', content: sealed(['a', 'b']) }, { path: 'plain.yaml', content: Buffer.from('a: 1\n') }]);
    expect([...index.docs.values()].map((d) => [d.file, d.index])).toEqual([['apps/big.sops.yaml', 0]]);
    expect(index.files.get('apps/big.sops.yaml')?.format).toBe('yaml');
  });

  it('leaves out a document that repeats a key, as the quadratic check of the yaml library did', () => {
    const index = indexSealedSources([{ path: 'dup.sops.yaml', content: sealed(['a', 'a']) }]);
    expect(index.docs.size).toBe(0);
  });
});
