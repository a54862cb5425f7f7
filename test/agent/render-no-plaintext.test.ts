// No plaintext on any file system: every byte the build writes (kustomize's private folder) is
// a committed file or a kustomization, while the Secrets it produces hold the plaintext.
import { beforeAll, describe, expect, it, vi } from 'vitest';

const writes = vi.hoisted(() => [] as { path: string; data: string }[]);
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  return {
    ...fs,
    writeFileSync: (path: string, data: string | Uint8Array, options?: unknown) => {
      writes.push({ path: String(path), data: Buffer.from(data).toString('utf8') });
      return fs.writeFileSync(path, data, options as never);
    },
  };
});
vi.mock('node:fs/promises', async (importOriginal) => {
  const fsp = await importOriginal<typeof import('node:fs/promises')>();
  return {
    ...fsp,
    writeFile: (path: string, data: string | Uint8Array, options?: unknown) => {
      writes.push({ path: String(path), data: Buffer.from(data).toString('utf8') });
      return fsp.writeFile(path, data, options as never);
    },
  };
});

const { renderSync } = await import('../../src/agent/render.js');
const { loadDecryptionKeys } = await import('../../src/agent/decrypt/index.js');
const { asInputs, makeRepoKeys, PLAIN, teamRepository } = await import('../support/kustomize-repo.js');

let repo: Map<string, string>;
let keys: ReturnType<typeof loadDecryptionKeys>;

beforeAll(async () => {
  const k = makeRepoKeys();
  keys = loadDecryptionKeys({ 'a.agekey': k.identity, 'b.pem': k.rsaPem });
  repo = await teamRepository(k);
});

describe('renderSync and the file system', () => {
  it('writes only committed bytes for kustomize, and the plaintext exists only in the returned objects', async () => {
    writes.length = 0;
    const out = await renderSync({ files: asInputs(repo), path: 'overlays/production', components: ['../../components/monitoring'] }, { keys: () => Promise.resolve(keys) });
    expect(JSON.stringify(out.manifests)).toContain(Buffer.from(PLAIN.dbPassword).toString('base64'));
    const committed = new Set(repo.values());
    const build = writes.filter((w) => w.path.includes('sealops-kustomize-'));
    expect(build.length).toBe(repo.size);
    for (const w of build) {
      // The root kustomization is rewritten to add spec.components; everything else is as committed.
      if (!w.path.endsWith('overlays/production/kustomization.yaml')) expect(committed.has(w.data)).toBe(true);
    }
    for (const w of writes) for (const v of Object.values(PLAIN)) expect(w.data).not.toContain(v);
  });
});
