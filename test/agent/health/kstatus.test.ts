// Readiness rules for live objects, on status shapes the real controllers write.
import { describe, expect, it } from 'vitest';
import { isHealthTarget, readiness } from '../../../src/agent/health/kstatus.js';

const meta = (generation = 2) => ({ name: 'x', namespace: 'ns', generation });

describe('readiness', () => {
  it('calls a Deployment ready only when the controller saw its generation and every replica is updated and available', () => {
    const spec = { replicas: 2 };
    const done = { observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2, conditions: [{ type: 'Available', status: 'True' }] };
    expect(readiness('apps', 'Deployment', { metadata: meta(), spec, status: done })).toEqual({ state: 'ready' });
    expect(readiness('apps', 'Deployment', { metadata: meta(3), spec, status: done })).toEqual({ state: 'progressing', reason: 'NotObserved' });
    expect(readiness('apps', 'Deployment', { metadata: meta(), spec, status: {} })).toEqual({ state: 'progressing', reason: 'NotObserved' });
    expect(readiness('apps', 'Deployment', { metadata: meta(), spec, status: { ...done, replicas: 3 } })).toMatchObject({ state: 'progressing' });
    expect(readiness('apps', 'Deployment', { metadata: meta(), spec, status: { ...done, availableReplicas: 1 } })).toEqual({ state: 'progressing', reason: 'Unavailable' });
  });

  it('fails a Deployment past its progress deadline, without waiting for the timeout', () => {
    const status = { observedGeneration: 2, replicas: 1, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] };
    expect(readiness('apps', 'Deployment', { metadata: meta(), spec: { replicas: 1 }, status })).toEqual({ state: 'failed', reason: 'ProgressDeadlineExceeded' });
  });

  it('counts a Deployment scaled to zero as ready once observed', () => {
    expect(readiness('apps', 'Deployment', { metadata: meta(1), spec: { replicas: 0 }, status: { observedGeneration: 1 } })).toEqual({ state: 'ready' });
  });

  it('judges a StatefulSet by ready replicas, partition and revisions', () => {
    const spec = { replicas: 3, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 1 } } };
    const status = { observedGeneration: 2, readyReplicas: 3, updatedReplicas: 2, currentRevision: 'a', updateRevision: 'b' };
    expect(readiness('apps', 'StatefulSet', { metadata: meta(), spec, status })).toEqual({ state: 'ready' });
    expect(readiness('apps', 'StatefulSet', { metadata: meta(), spec: { replicas: 3 }, status })).toMatchObject({ state: 'progressing' });
    expect(readiness('apps', 'StatefulSet', { metadata: meta(), spec: { replicas: 3 }, status: { ...status, updatedReplicas: 3, currentRevision: 'b' } })).toEqual({ state: 'ready' });
    expect(readiness('apps', 'StatefulSet', { metadata: meta(), spec: { replicas: 3 }, status: { ...status, readyReplicas: 2 } })).toMatchObject({ state: 'progressing' });
  });

  it('judges a DaemonSet by scheduled, updated and available counts', () => {
    const status = { observedGeneration: 2, desiredNumberScheduled: 2, updatedNumberScheduled: 2, numberAvailable: 2 };
    expect(readiness('apps', 'DaemonSet', { metadata: meta(), status })).toEqual({ state: 'ready' });
    expect(readiness('apps', 'DaemonSet', { metadata: meta(), status: { ...status, numberAvailable: 1 } })).toEqual({ state: 'progressing', reason: 'Unavailable' });
  });

  it('judges a Job by its Complete and Failed conditions (Jobs write no observedGeneration)', () => {
    expect(readiness('batch', 'Job', { metadata: meta(), spec: {}, status: { conditions: [{ type: 'Complete', status: 'True' }] } })).toEqual({ state: 'ready' });
    expect(readiness('batch', 'Job', { metadata: meta(), spec: {}, status: { conditions: [{ type: 'Failed', status: 'True', reason: 'DeadlineExceeded' }] } })).toEqual({ state: 'failed', reason: 'JobFailed' });
    expect(readiness('batch', 'Job', { metadata: meta(), spec: {}, status: { active: 1 } })).toEqual({ state: 'progressing', reason: 'NotReady' });
  });

  it('judges any other object by kstatus conditions and observedGeneration', () => {
    const cr = (status: unknown) => readiness('example.com', 'Widget', { metadata: meta(), status });
    expect(cr(undefined)).toEqual({ state: 'ready' });
    expect(cr({ observedGeneration: 1, conditions: [{ type: 'Ready', status: 'True' }] })).toEqual({ state: 'progressing', reason: 'NotObserved' });
    expect(cr({ observedGeneration: 2, conditions: [{ type: 'Ready', status: 'True' }] })).toEqual({ state: 'ready' });
    expect(cr({ conditions: [{ type: 'Ready', status: 'False' }] })).toEqual({ state: 'progressing', reason: 'NotReady' });
    expect(cr({ conditions: [{ type: 'Ready', status: 'True' }, { type: 'Reconciling', status: 'True' }] })).toMatchObject({ state: 'progressing' });
    expect(cr({ conditions: [{ type: 'Ready', status: 'False' }, { type: 'Stalled', status: 'True', reason: 'anything the object says' }] })).toEqual({ state: 'failed', reason: 'Stalled' });
    expect(cr({ conditions: [{ type: 'Available', status: 'False' }] })).toEqual({ state: 'progressing', reason: 'Unavailable' });
  });

  it('reads only workloads and custom resources back, never Secrets or ConfigMaps', () => {
    expect(isHealthTarget('apps', 'Deployment')).toBe(true);
    expect(isHealthTarget('batch', 'Job')).toBe(true);
    expect(isHealthTarget('', 'Pod')).toBe(true);
    expect(isHealthTarget('example.com', 'Widget')).toBe(true);
    expect(isHealthTarget('', 'Secret')).toBe(false);
    expect(isHealthTarget('', 'ConfigMap')).toBe(false);
    expect(isHealthTarget('rbac.authorization.k8s.io', 'Role')).toBe(false);
    expect(isHealthTarget('batch', 'CronJob')).toBe(false);
  });
});
