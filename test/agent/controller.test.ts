// The controller's scheduling: backoff after failures, the interval after success, the Sync due first.
import { describe, expect, it } from 'vitest';
import { nextAttemptAt, pickDue } from '../../src/agent/controller.js';

describe('nextAttemptAt', () => {
  it('waits the interval after a success', () => {
    expect(nextAttemptAt(0, 300_000, 5000, 1000)).toBe(301_000);
  });

  it('doubles the delay per consecutive failure and never waits longer than the interval', () => {
    expect([1, 2, 3, 4].map((f) => nextAttemptAt(f, 300_000, 5000, 0))).toEqual([5000, 10_000, 20_000, 40_000]);
    expect(nextAttemptAt(30, 300_000, 5000, 0)).toBe(300_000);
  });
});

describe('pickDue', () => {
  it('picks the Sync that has waited longest among those due', () => {
    const a = { name: 'a', nextAt: 90 };
    const b = { name: 'b', nextAt: 10 };
    const c = { name: 'c', nextAt: 500 };
    expect(pickDue([a, b, c], 100).due).toBe(b);
  });

  it('sleeps until the next one is due, at most a minute and at least 50 ms', () => {
    expect(pickDue([{ nextAt: 2000 }], 1000)).toEqual({ waitMs: 1000 });
    expect(pickDue([], 0)).toEqual({ waitMs: 60_000 });
    expect(pickDue([{ nextAt: 1010 }], 1000)).toEqual({ waitMs: 50 });
  });
});
