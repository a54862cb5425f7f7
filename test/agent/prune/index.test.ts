// The mass-deletion guard's arithmetic (deletion itself is proven end to end).
import { describe, expect, it } from 'vitest';
import { exceedsDeletionGuard } from '../../../src/agent/prune/index.js';

describe('exceedsDeletionGuard', () => {
  it('allows deleting up to the share and refuses one more', () => {
    expect(exceedsDeletionGuard(5, 10, 50)).toBe(false);
    expect(exceedsDeletionGuard(6, 10, 50)).toBe(true);
    expect(exceedsDeletionGuard(1, 7, 10)).toBe(true);
    expect(exceedsDeletionGuard(1, 10, 10)).toBe(false);
  });

  it('never trips with nothing to delete, and a 0% guard refuses any deletion', () => {
    expect(exceedsDeletionGuard(0, 10, 0)).toBe(false);
    expect(exceedsDeletionGuard(1, 1000, 0)).toBe(true);
    expect(exceedsDeletionGuard(10, 10, 100)).toBe(false);
  });
});
