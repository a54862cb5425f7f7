// Shamir key groups against the real sops 3.13: a threshold-2 file opens with keys of two
// groups and never with one, in either tool and whichever tool wrote it.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSopsMetadata, rekeySops, resolveRecipients, rotateSops, sealSops, unsealSops } from '../../../src/index.js';
import { run } from '../../cli/helpers.js';
import { sopsPeer, type SopsPeer } from '../../support/sops-peer.js';

let peer: SopsPeer;
beforeAll(async () => {
  peer = await sopsPeer(3);
});
afterAll(() => peer.cleanup());

const PLAIN = 'db:\n    password: s3cr3t-pw\n    port: 5432\n';
const ids = (...i: number[]): string[] => i.map((n) => peer.keys[n]?.identity ?? '');
const recipient = (i: number): string => peer.keys[i]?.recipient ?? '';

function sopsYaml(threshold: number): string {
  return `creation_rules:\n  - shamir_threshold: ${threshold}\n    key_groups:\n${[0, 1, 2].map((i) => `      - age: [${recipient(i)}]\n`).join('')}`;
}

describe('key groups with a shamir threshold', () => {
  it('opens a threshold-2 file that sops wrote with keys of two groups, and refuses one key', async () => {
    writeFileSync(join(peer.dir, '.sops.yaml'), sopsYaml(2));
    const sealed = peer.ok(['encrypt', peer.write('plain.yaml', PLAIN)]);
    expect(sealed).toContain('shamir_threshold: 2');
    expect(await unsealSops(sealed, { identities: ids(0, 2) })).toBe(PLAIN);
    expect(await unsealSops(sealed, { identities: ids(1, 2) })).toBe(PLAIN);
    for (const one of [0, 1, 2]) {
      await expect(unsealSops(sealed, { identities: ids(one) })).rejects.toThrow(/1 of 3 key groups opened, 2 are needed/);
    }
  });

  it('seals to key groups that sops opens with two keys and not with one', async () => {
    const keyGroups = [[recipient(0)], [recipient(1)], [recipient(2)]];
    const sealed = await sealSops(PLAIN, { keyGroups, shamirThreshold: 2, format: 'yaml' });
    const file = peer.write('by-sealops.yaml', sealed);
    expect(peer.ok(['-d', file], { keyIndexes: [0, 1] })).toBe(PLAIN);
    expect(peer.ok(['-d', file], { keyIndexes: [2, 1] })).toBe(PLAIN);
    const one = peer.run(['-d', file], { keyIndexes: [2] });
    expect(one.status).not.toBe(0);
    expect(one.stderr).toMatch(/threshold of\s+2/);
    await expect(unsealSops(sealed, { identities: ids(2) })).rejects.toThrow(/2 are needed/);
    // The metadata is laid out as sops writes it, so sops rewrites only what it changes.
    const bySops = peer.ok(['set', file, '["db"]["port"]', '5433'], { keyIndexes: [0, 2] });
    expect(bySops).toBe('');
    expect(await unsealSops(readFileSync(file, 'utf8'), { identities: ids(0, 1) })).toContain('port: 5433');
  });

  it('honours key_groups and shamir_threshold of a .sops.yaml when resolving recipients', async () => {
    writeFileSync(join(peer.dir, '.sops.yaml'), sopsYaml(2));
    const resolved = await resolveRecipients({ target: join(peer.dir, 'x.yaml'), cwd: peer.dir });
    expect(resolved.keyGroups).toEqual([[recipient(0)], [recipient(1)], [recipient(2)]]);
    expect(resolved.shamirThreshold).toBe(2);
  });

  it('sealops seal honours a .sops.yaml threshold: one key opens nothing, in either tool', async () => {
    writeFileSync(join(peer.dir, '.sops.yaml'), sopsYaml(2));
    peer.write('app.yaml', PLAIN);
    const r = await run(['seal', 'app.yaml', '--in-place'], { cwd: peer.dir });
    expect(r.status, r.stderr).toBe(0);
    const sealed = readFileSync(join(peer.dir, 'app.yaml'), 'utf8');
    expect(readSopsMetadata(sealed).shamirThreshold).toBe(2);
    expect(peer.run(['-d', join(peer.dir, 'app.yaml')], { keyIndexes: [1] }).status).not.toBe(0);
    await expect(unsealSops(sealed, { identities: ids(1) })).rejects.toThrow(/2 are needed/);
    expect(peer.ok(['-d', join(peer.dir, 'app.yaml')], { keyIndexes: [1, 2] })).toBe(PLAIN);
  });

  it('keeps the groups through rotate and refuses a rekey that would flatten them', async () => {
    const sealed = await sealSops(PLAIN, { keyGroups: [[recipient(0)], [recipient(1)]], shamirThreshold: 2, format: 'yaml' });
    const rotated = await rotateSops(sealed, { identities: ids(0, 1) });
    expect(readSopsMetadata(rotated).keyGroups?.length).toBe(2);
    await expect(unsealSops(rotated, { identities: ids(0) })).rejects.toThrow(/2 are needed/);
    await expect(rekeySops(sealed, { identities: ids(0, 1), recipients: [recipient(0)] })).rejects.toThrow(/would weaken it/);
    const regrouped = await rekeySops(sealed, { identities: ids(0, 1), keyGroups: [[recipient(0)], [recipient(2)]], shamirThreshold: 2 });
    expect(peer.ok(['-d', peer.write('regrouped.yaml', regrouped)], { keyIndexes: [0, 2] })).toBe(PLAIN);
    expect(peer.run(['-d', peer.write('regrouped2.yaml', regrouped)], { keyIndexes: [0, 1] }).status).not.toBe(0);
  });
});
