// Tables and JSON of `sealops status` and `sealops history`.
import { describe, expect, it } from 'vitest';
import { age, formatHistory, formatStatus } from '../../src/observe/format.js';
import { table } from '../../src/util/text-table.js';
import type { SyncRow } from '../../src/observe/status.js';

const now = new Date('2026-11-26T12:00:00Z');
const row: SyncRow = {
  context: 'prod',
  cluster: 'prod-cluster',
  namespace: 'apps',
  name: 'shop',
  ready: 'True',
  reason: 'ReconciliationSucceeded',
  suspended: false,
  revision: `main@sha1:${'a'.repeat(40)}`,
  head: 'b'.repeat(40),
  git: 'behind',
  lastChange: '2026-11-26T11:55:00Z',
  drift: 2,
  health: 'False',
  unhealthy: ['Deployment apps/web'],
  keysInUse: ['ks-0000000000000001', 'ks-0000000000000002'],
  agentVersion: '0.1.0',
};

describe('status and history output', () => {
  it('prints ages the way kubectl does', () => {
    expect(age('2026-11-26T11:59:30Z', now)).toBe('30s');
    expect(age('2026-11-26T11:00:00Z', now)).toBe('60m');
    expect(age('2026-11-25T12:00:00Z', now)).toBe('24h');
    expect(age('2026-11-01T12:00:00Z', now)).toBe('25d');
    expect(age(undefined, now)).toBe('-');
    expect(age('not a time', now)).toBe('-');
  });

  it('pads columns to the widest cell', () => {
    expect(table(['A', 'BB'], [['xxx', 'y'], ['z', 'w']])).toBe('A     BB\nxxx   y\nz     w\n');
  });

  it('shows one line per Sync with the short revision, git position, drift, the unhealthy objects and keys', () => {
    const out = formatStatus({ syncs: [row, { ...row, context: 'dev', suspended: true, git: 'unknown', drift: undefined, health: undefined, unhealthy: [], keysInUse: [] }], failures: [{ context: 'gone', error: 'failed to reach the API server' }] }, 'table', now);
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^prod\s+apps\/shop\s+True\s+main@aaaaaaa\s+behind\s+5m\s+2\s+False \(Deployment apps\/web\)\s+ks-0000000000000001,ks-0000000000000002\s+0\.1\.0$/);
    expect(lines[2]).toMatch(/^dev\s+apps\/shop\s+Suspended\s+main@aaaaaaa\s+unknown\s+5m\s+-\s+-\s+-\s+0\.1\.0$/);
    expect(lines[3]).toMatch(/^gone\s+-\s+Error\s/);
    expect(formatStatus({ syncs: [], failures: [] }, 'table', now)).toBe('No Syncs found.\n');
  });

  it('prints JSON with full revisions and times', () => {
    const parsed = JSON.parse(formatStatus({ syncs: [row], failures: [] }, 'json', now)) as { syncs: SyncRow[] };
    expect(parsed.syncs[0]).toEqual(row);
  });

  it('prints the history newest first with counts and a short digest', () => {
    const entry = { revision: `main@sha1:${'c'.repeat(40)}`, firstAppliedTime: '2026-11-26T11:00:00Z', lastAppliedTime: '2026-11-26T11:59:00Z', applies: 3, counts: { created: 1, configured: 2, unchanged: 3, deleted: 4 }, digest: `sha256:${'d'.repeat(64)}` };
    const out = formatHistory({ namespace: 'apps', name: 'shop', entries: [entry] }, 'table', now);
    expect(out.split('\n')[1]).toMatch(/^main@ccccccc\s+60m\s+60s\s+3\s+1\/2\/3\/4\s+sha256:dddddddddddd$/);
    expect(formatHistory({ namespace: 'apps', name: 'shop', entries: [] }, 'table', now)).toBe('No revision of Sync apps/shop applied yet.\n');
  });
});
