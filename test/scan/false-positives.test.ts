import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { scanWorkTree } from '../../src/scan/scan.js';
import { formatText } from '../../src/scan/report/text.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('false-positive suite', () => {
  it('passes ordinary manifests, ConfigMaps, SOPS files, SealedSecrets, a kustomization, docs and the lockfile', async () => {
    const report = await scanWorkTree({ cwd: root }, ['test/scan/fixtures/clean', 'package-lock.json']);
    expect(formatText(report)).toMatch(/^sealops: clean: /m);
    expect(report.findings).toEqual([]);
    // Every fixture was judged: the folder holds 22 files (its README included), plus the lockfile.
    expect(report.filesScanned).toBe(23);
    expect(report.notes.map((n) => n.path)).toEqual(['test/scan/fixtures/clean/manifests/chart/templates/secret.yaml']);
  });
});
