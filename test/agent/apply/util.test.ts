// The drift comparison and bounded parallelism used by the apply stage.
import { describe, expect, it } from 'vitest';
import { mapLimit, sameObject } from '../../../src/agent/apply/util.js';

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

describe('mapLimit', () => {
  it('never runs more than the limit at once and runs every item', async () => {
    let running = 0;
    let peak = 0;
    const done: number[] = [];
    await mapLimit([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 5));
      done.push(n);
      running--;
    });
    expect(peak).toBe(3);
    expect(done.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('rejects with the first error after the other items settle', async () => {
    const done: number[] = [];
    await expect(mapLimit([1, 2, 3], 2, async (n) => {
      if (n === 1) throw new Error('first');
      await new Promise((r) => setTimeout(r, 5));
      done.push(n);
    })).rejects.toThrow('first');
    expect(done.sort()).toEqual([2, 3]);
  });
});
