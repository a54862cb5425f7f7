// Listing the contexts of a kubeconfig list, merged the way kubectl merges it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { listKubeContexts } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sealops-contexts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, doc: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, stringify(doc));
  return path;
}

describe('listKubeContexts', () => {
  it('lists every context of every file in name order, the first file winning a name, with the current one', () => {
    const a = file('a', { 'current-context': 'west', contexts: [{ name: 'west', context: { cluster: 'w', namespace: 'shop' } }, { name: 'east', context: { cluster: 'e' } }] });
    const b = file('b', { 'current-context': 'other', contexts: [{ name: 'west', context: { cluster: 'shadowed' } }, { name: 'central', context: { cluster: 'c' } }] });
    expect(listKubeContexts({ kubeconfig: [a, b].join(delimiter) })).toEqual({
      current: 'west',
      contexts: [{ name: 'central', cluster: 'c' }, { name: 'east', cluster: 'e' }, { name: 'west', cluster: 'w', namespace: 'shop' }],
    });
  });

  it('reads KUBECONFIG from the given environment and fails clearly when no file exists', () => {
    const a = file('c', { contexts: [{ name: 'only', context: { cluster: 'x' } }] });
    expect(listKubeContexts({ env: { KUBECONFIG: a } })).toEqual({ contexts: [{ name: 'only', cluster: 'x' }] });
    expect(() => listKubeContexts({ kubeconfig: join(dir, 'missing') })).toThrow(/failed to load kubeconfig: no such file/);
  });
});
