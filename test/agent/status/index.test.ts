// Status helpers: conditions keep their transition time, messages are redacted and bounded.
import { describe, expect, it } from 'vitest';
import { changeNote, completion, mergeConditions, outcomeConditions, progressingConditions, safeMessage, stageReason } from '../../../src/agent/status/index.js';

describe('status', () => {
  it('keeps lastTransitionTime while a condition keeps its status, and moves it on a change', () => {
    const first = mergeConditions(undefined, outcomeConditions({ ready: true, stalled: false, reason: 'ReconciliationSucceeded', message: 'm' }, 1), 't1');
    const same = mergeConditions(first, outcomeConditions({ ready: true, stalled: false, reason: 'ReconciliationSucceeded', message: 'm2' }, 2), 't2');
    expect(same.find((c) => c.type === 'Ready')).toMatchObject({ status: 'True', lastTransitionTime: 't1', message: 'm2', observedGeneration: 2 });
    const failed = mergeConditions(same, outcomeConditions({ ready: false, stalled: true, reason: 'DecryptionFailed', message: 'x' }, 2), 't3');
    expect(failed.find((c) => c.type === 'Ready')).toMatchObject({ status: 'False', reason: 'DecryptionFailed', lastTransitionTime: 't3' });
    expect(failed.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'True', lastTransitionTime: 't3' });
  });

  it('keeps the Healthy condition while a change set is being applied', () => {
    const healthy = { type: 'Healthy' as const, status: 'False' as const, reason: 'HealthCheckFailed', message: 'Deployment a/web', lastTransitionTime: 't0' };
    const before = [...mergeConditions(undefined, outcomeConditions({ ready: true, stalled: false, reason: 'ReconciliationSucceeded', message: 'm' }, 1), 't0'), healthy];
    const during = progressingConditions(before, 'main@sha1:abc', 2, 't1');
    expect(during.map((c) => c.type)).toEqual(['Ready', 'Reconciling', 'Stalled', 'Healthy']);
    expect(during.find((c) => c.type === 'Healthy')).toEqual(healthy);
  });

  it('redacts secret values and their base64 form from messages', () => {
    const secret = 's3cr3t-value-xyz';
    const msg = safeMessage(`failed: ${secret} and ${Buffer.from(secret).toString('base64')}`, [secret]);
    expect(msg).not.toContain(secret);
    expect(msg).not.toContain(Buffer.from(secret).toString('base64'));
    expect(msg).toContain('[REDACTED]');
  });

  it('bounds a long message', () => {
    expect(safeMessage('x'.repeat(5000), []).length).toBeLessThanOrEqual(1024);
  });

  it('summarizes a change set with its counts', () => {
    expect(changeNote('main@sha1:abc', { created: 2, configured: 1, deleted: 3 })).toBe('applied main@sha1:abc: 2 created, 1 configured, 3 deleted');
  });

  it('says Reconciling=True and Ready=Unknown while a change set is applied, even after a success', () => {
    const before = mergeConditions(undefined, outcomeConditions({ ready: true, stalled: false, reason: 'ReconciliationSucceeded', message: 'ok' }, 1), 't1');
    const during = progressingConditions(before, 'main@sha1:abc', 2, 't2');
    expect(during.find((c) => c.type === 'Ready')).toMatchObject({ status: 'Unknown', reason: 'Progressing', lastTransitionTime: 't2', observedGeneration: 2 });
    expect(during.find((c) => c.type === 'Reconciling')).toMatchObject({ status: 'True', message: 'applying main@sha1:abc' });
    expect(during.find((c) => c.type === 'Stalled')).toMatchObject({ status: 'False' });
  });

  it('names the failing stage in the reason: a malformed keys Secret is not a build failure', () => {
    expect(stageReason('keys')).toBe('DecryptionKeysInvalid');
    expect(stageReason('build')).toBe('BuildFailed');
    expect(stageReason('decrypt')).toBe('DecryptionFailed');
  });

  it('moves lastAppliedRevision only when prune succeeded too', () => {
    const counts = { created: 1, configured: 0, deleted: 0 };
    const ok = completion('main@sha1:abc', counts, { failures: [] }, 't');
    expect(ok).toMatchObject({ ok: true, reason: 'ReconciliationSucceeded', revisionFields: { lastAppliedRevision: 'main@sha1:abc', lastAppliedTime: 't' } });
    const blocked = completion('main@sha1:abc', counts, { blocked: { stale: 3, inventory: 4, maxPercent: 50 }, failures: [] }, 't');
    expect(blocked).toMatchObject({ ok: false, reason: 'PruneBlocked', revisionFields: {} });
    expect(blocked.message).toContain('sealops.dev/allow-mass-deletion="abc"');
    const failed = completion('main@sha1:abc', counts, { failures: [{ id: 'ns_a__ConfigMap', message: 'forbidden' }] }, 't');
    expect(failed).toMatchObject({ ok: false, reason: 'PruneFailed', revisionFields: {} });
  });
});
