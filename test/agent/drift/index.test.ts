import { describe, expect, it } from 'vitest';
import { betweenCommits, driftCheckDue, driftNote, nextCheckInterval } from '../../../src/agent/drift/index.js';
import { parseSyncSpec, type SyncObject } from '../../../src/agent/sync.js';

const REV = 'main@sha1:abc';

function sync(status: SyncObject['status'], generation = 2): SyncObject {
  return { apiVersion: 'sealops.dev/v1alpha1', kind: 'Sync', metadata: { name: 's', namespace: 'n', generation }, status };
}

const spec = (extra: Record<string, unknown> = {}) => parseSyncSpec({ source: { url: 'https://example.invalid/r.git' }, ...extra });

describe('when a drift check runs', () => {
  const applied = { lastAppliedRevision: REV, observedGeneration: 2 };

  it('runs only between commits: the applied revision and spec are the ones at hand', () => {
    expect(betweenCommits(sync(applied), REV)).toBe(true);
    expect(betweenCommits(sync(applied), 'main@sha1:def')).toBe(false);
    expect(betweenCommits(sync(applied, 3), REV)).toBe(false);
    expect(betweenCommits(sync({}), REV)).toBe(false);
  });

  it('runs at every reconcile without spec.driftInterval', () => {
    const checked = { ...applied, drift: { checkedTime: new Date().toISOString(), revision: REV, mode: 'correct' as const, objects: [] } };
    expect(driftCheckDue(sync(checked), spec(), REV, Date.now())).toBe(true);
  });

  it('waits spec.driftInterval after the last check of the same revision and mode', () => {
    const now = Date.parse('2026-01-01T00:10:00Z');
    const checked = (at: string, mode: 'correct' | 'report' = 'correct', revision = REV) => sync({ ...applied, drift: { checkedTime: at, revision, mode, objects: [] } });
    const s = spec({ driftInterval: '5m' });
    expect(driftCheckDue(checked('2026-01-01T00:06:00Z'), s, REV, now)).toBe(false);
    expect(driftCheckDue(checked('2026-01-01T00:05:00Z'), s, REV, now)).toBe(true);
    expect(driftCheckDue(checked('2026-01-01T00:09:00Z', 'report'), s, REV, now)).toBe(true);
    expect(driftCheckDue(checked('2026-01-01T00:09:00Z', 'correct', 'main@sha1:old'), s, REV, now)).toBe(true);
    expect(driftCheckDue(sync(applied), s, REV, now)).toBe(true);
  });

  it('brings the next reconcile forward to the drift interval when that is shorter', () => {
    expect(nextCheckInterval(spec({ interval: '10m', driftInterval: '1m' }))).toBe(60_000);
    expect(nextCheckInterval(spec({ interval: '1m', driftInterval: '10m' }))).toBe(60_000);
    expect(nextCheckInterval(spec({ interval: '2m' }))).toBe(120_000);
  });
});

describe('the DriftDetected note', () => {
  it('names objects and paths and what the mode does, and stays within an Event note', () => {
    const note = driftNote({ checkedTime: 't', revision: REV, mode: 'report', objects: [{ apiVersion: 'v1', kind: 'Secret', namespace: 'app', name: 'db', paths: ['/data/password'] }, { apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', namespace: 'app', paths: [], missing: true }] });
    expect(note).toBe(`2 object(s) differ from ${REV}, recorded only (spec.drift.mode report): Secret app/db (/data/password); ConfigMap app/gone (missing)`);
    const many = driftNote({ checkedTime: 't', revision: REV, mode: 'correct', objects: Array.from({ length: 200 }, (_, i) => ({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'app', name: `cm-${i}`, paths: ['/data/x'] })) });
    expect(many.length).toBeLessThanOrEqual(1000);
  });
});
