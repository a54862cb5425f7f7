// The stage clock behind the reconcile-stage histograms: each stage timed from its start to the
// next one's, reported once, and never able to fail a reconcile.
import { describe, expect, it } from 'vitest';
import { stageClock, type ReconcileStage } from '../../src/agent/stages.js';

function recorder(): { seen: [ReconcileStage, number][]; observe: (s: ReconcileStage, sec: number) => void } {
  const seen: [ReconcileStage, number][] = [];
  return { seen, observe: (s, sec) => seen.push([s, sec]) };
}

describe('stageClock', () => {
  it('reports each stage with the time until the next one starts, in seconds', () => {
    let t = 1000;
    const r = recorder();
    const clock = stageClock(r.observe, () => t);
    clock.enter('source');
    t += 250;
    clock.enter('build');
    t += 1500;
    clock.enter('apply');
    t += 10;
    clock.end();
    expect(r.seen).toEqual([
      ['source', 0.25],
      ['build', 1.5],
      ['apply', 0.01],
    ]);
  });

  it('reports a stage once even when it is ended twice, and nothing before a stage starts', () => {
    let t = 0;
    const r = recorder();
    const clock = stageClock(r.observe, () => t);
    clock.end();
    clock.enter('prune');
    t += 2000;
    clock.end();
    clock.end();
    expect(r.seen).toEqual([['prune', 2]]);
  });

  it('swallows an observer that throws, so metrics never fail a reconcile', () => {
    const clock = stageClock(() => {
      throw new Error('broken metrics');
    });
    clock.enter('decrypt');
    expect(() => clock.end()).not.toThrow();
  });

  it('does nothing without an observer', () => {
    const clock = stageClock(undefined);
    expect(() => {
      clock.enter('status');
      clock.end();
    }).not.toThrow();
  });
});
