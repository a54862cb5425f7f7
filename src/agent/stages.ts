/**
 * Stage timing of one reconcile, for the `sealops_reconcile_stage_duration_seconds` histograms.
 * The agent only reports; the server layer owns the metrics library, so nothing here imports it.
 */

/** The stages a reconcile is timed in (a fixed vocabulary: it becomes a metric label). */
export const RECONCILE_STAGES = ['source', 'build', 'decrypt', 'apply', 'prune', 'health', 'drift', 'status'] as const;

/** One stage of {@link RECONCILE_STAGES}. */
export type ReconcileStage = (typeof RECONCILE_STAGES)[number];

/** Receives how long a stage took, in seconds. Must not throw. */
export type StageObserver = (stage: ReconcileStage, seconds: number) => void;

/** A stopwatch that times consecutive stages: entering one ends the one before. */
export interface StageClock {
  /** Ends the running stage (if any) and starts `stage`. */
  enter(stage: ReconcileStage): void;
  /** Ends the running stage (if any). Calling it twice records nothing more. */
  end(): void;
}

/** A clock reporting to `observer`; without one, a clock that does nothing. */
export function stageClock(observer: StageObserver | undefined, now: () => number = () => performance.now()): StageClock {
  let running: { stage: ReconcileStage; since: number } | undefined;
  const end = (): void => {
    if (!running || !observer) return void (running = undefined);
    const { stage, since } = running;
    running = undefined;
    try {
      observer(stage, Math.max(0, now() - since) / 1000);
    } catch {
      // Metrics never fail a reconcile.
    }
  };
  return {
    enter(stage) {
      end();
      running = { stage, since: now() };
    },
    end,
  };
}
