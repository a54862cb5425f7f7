// The built bulk run on worker threads (the path `rekey --all` takes on a real repository):
// every file comes back in order with the outcome the calling thread would give, a tampered
// file fails with the same error class, progress counts every file once, and a run stopped
// before it starts touches nothing. Runs the build (dist/), where the worker module exists.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateAgeKeyPair, metadataRecipients, readSopsMetadata, sealSops, unsealSops, type AgeKeyPair } from '../../src/index.js';

type Threads = typeof import('../../src/operations/bulk-threads.js');
const built = join(import.meta.dirname, '../../dist/src/operations/bulk-threads.js');
const COUNT = 80;
let dir: string;
let oldKey: AgeKeyPair;
let newKey: AgeKeyPair;
let team: AgeKeyPair;
let lib: Threads;
const rel = (i: number): string => `apps/f${i % 4}/s${i}.yaml`;
const secret = (i: number): string => `apiVersion: v1\nkind: Secret\nmetadata:\n  name: s${i}\n  namespace: a\nstringData:\n  password: pw-${i}-threads\n`;

beforeAll(async () => {
  lib = (await import(built)) as Threads;
  dir = mkdtempSync(join(tmpdir(), 'sealops-bulk-threads-'));
  [oldKey, newKey, team] = await Promise.all([generateAgeKeyPair(), generateAgeKeyPair(), generateAgeKeyPair()]);
  for (let i = 0; i < COUNT; i++) {
    mkdirSync(join(dir, rel(i), '..'), { recursive: true });
    writeFileSync(join(dir, rel(i)), await sealSops(secret(i), { recipients: [oldKey.recipient, team.recipient], source: rel(i) }));
  }
  // File 7: a value that no longer authenticates (the data key still opens).
  const text = readFileSync(join(dir, rel(7)), 'utf8');
  writeFileSync(join(dir, rel(7)), text.replace(/(password: ENC\[AES256_GCM,data:)(.)/, (_m, p: string, c: string) => p + (c === 'A' ? 'B' : 'A')));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const files = Array.from({ length: COUNT }, (_, i) => rel(i));
const request = (): { keys: { ageIdentities: string[]; rsaKeys: [] }; recipients: string[] } => ({ keys: { ageIdentities: [team.identity], rsaKeys: [] }, recipients: [newKey.recipient, team.recipient] });

describe('rewrapFiles on worker threads', () => {
  it('uses every core for a run this size', () => {
    expect(lib.threadsFor(COUNT)).toBe(Math.min(availableParallelism(), 8));
    expect(lib.threadsFor(3)).toBe(1);
  });

  it('stops before the first file when the signal has fired, and touches nothing', async () => {
    const before = files.map((f) => readFileSync(join(dir, f), 'utf8'));
    const outcomes = await lib.rewrapFiles(files, { mode: 'rekey', request: request(), cwd: dir, signal: AbortSignal.abort() });
    expect(outcomes.filter((o) => o !== undefined)).toEqual([]);
    expect(files.map((f) => readFileSync(join(dir, f), 'utf8'))).toEqual(before);
  });

  it('rekeys every file in order, fails the tampered one with the decrypt error, and counts progress once per file', async () => {
    const ticks: number[] = [];
    const outcomes = await lib.rewrapFiles(files, { mode: 'rekey', request: request(), cwd: dir, progress: (done, total) => ticks.push(done * 1000 + total) });
    expect(ticks.sort((a, b) => a - b)).toEqual(Array.from({ length: COUNT }, (_, i) => (i + 1) * 1000 + COUNT));
    for (const [i, o] of outcomes.entries()) {
      if (i === 7) {
        expect(o && 'failed' in o && o.failed.name).toBe('DecryptError');
        expect(o && 'failed' in o && o.failed.message).toMatch(/^failed to decrypt/);
        expect(o && 'failed' in o && o.failed.message).not.toContain('pw-7-threads');
        continue;
      }
      expect(o).toEqual({ dir: join(dir, rel(i), '..') });
      const text = readFileSync(join(dir, rel(i)), 'utf8');
      expect(metadataRecipients(readSopsMetadata(text, { source: rel(i) })).sort()).toEqual([newKey.recipient, team.recipient].sort());
      expect(await unsealSops(text, { identities: [newKey.identity], source: rel(i) })).toBe(secret(i));
    }
    // A second run: all at the target already, nothing failed but the tampered file.
    const again = await lib.rewrapFiles(files, { mode: 'rekey', request: request(), cwd: dir });
    expect(again.filter((o) => o && 'unchanged' in o)).toHaveLength(COUNT - 1);
  });
});
