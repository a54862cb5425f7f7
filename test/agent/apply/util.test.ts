// The drift comparison of the apply stage (its bounded parallelism is util/pool's, tested there).
import { describe, expect, it } from 'vitest';
import { sameObject } from '../../../src/agent/apply/util.js';

describe('sameObject', () => {
  const live = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', resourceVersion: '5', managedFields: [{ manager: 'sealops', time: 't1' }] }, data: { k: 'v' } };

  it('ignores key order, resourceVersion and managedFields times', () => {
    const dry = { data: { k: 'v' }, kind: 'ConfigMap', apiVersion: 'v1', metadata: { managedFields: [{ time: 't2', manager: 'sealops' }], resourceVersion: '6', name: 'a' } };
    expect(sameObject(dry, live)).toBe(true);
  });

  it('sees a changed value, a new field and a change of field manager', () => {
    expect(sameObject({ ...live, data: { k: 'w' } }, live)).toBe(false);
    expect(sameObject({ ...live, immutable: true }, live)).toBe(false);
    expect(sameObject({ ...live, metadata: { ...live.metadata, managedFields: [{ manager: 'kubectl', time: 't1' }] } }, live)).toBe(false);
  });
});
