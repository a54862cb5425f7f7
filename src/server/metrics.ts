/**
 * The agent's Prometheus metrics, on a private prom-client Registry per agent (never the global
 * one: two agents in one process, or a library user's own metrics, must not mix).
 *
 * Labels are Sync names, stages and condition reasons from a fixed vocabulary: never a message,
 * a revision, a path or anything read from a Secret. A reason outside the vocabulary is counted
 * as `Other` rather than trusted.
 *
 * prom-client is loaded when the first AgentMetrics is made, not when the library is imported:
 * every CLI command imports the library, and only the agent needs metrics (bench/startup.mjs).
 */
import { createRequire } from 'node:module';
import type * as PromClient from 'prom-client';
import type { Counter, Histogram, Registry } from 'prom-client';
import { RECONCILE_STAGES, type ReconcileStage } from '../agent/stages.js';
import type { SyncObject } from '../agent/sync.js';

/** Every reason the `reason` label of `sealops_reconcile_total` may carry; anything else is `Other`. */
export const RECONCILE_REASONS: ReadonlySet<string> = new Set([
  'ReconciliationSucceeded',
  'Suspended',
  'Progressing',
  'InvalidSpec',
  'GitUnreachable',
  'GitAuthenticationFailed',
  'GitRefNotFound',
  'GitTimeout',
  'GitFailed',
  'InvalidSource',
  'SourceRefused',
  'SignatureVerificationFailed',
  'BuildFailed',
  'DecryptionKeysInvalid',
  'DecryptionFailed',
  'ApplyFailed',
  'PruneFailed',
  'PruneBlocked',
  'HealthCheckFailed',
  'DriftDetected',
  'LeadershipLost',
  'ReconcileTimeout',
  'ShuttingDown',
  'InternalError',
]);

/** The label value for `reason`: itself when known, `Other` otherwise. */
export function reasonLabel(reason: string): string {
  return RECONCILE_REASONS.has(reason) ? reason : 'Other';
}

let loaded: typeof PromClient | undefined;
function promClient(): typeof PromClient {
  return (loaded ??= createRequire(import.meta.url)('prom-client') as typeof PromClient);
}

/** Buckets of the reconcile histograms, seconds: a no-op resync takes milliseconds, a large apply minutes. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** Where the metrics read the state they do not count themselves. */
export interface MetricsSources {
  /** Requests sent to the Kubernetes API so far (the client's counter). */
  readonly apiRequests?: () => number;
  /** The Syncs the agent manages, with their status (drift and health gauges; forgets deleted Syncs). */
  readonly syncs?: () => readonly SyncObject[];
  /** Collect the process and Node.js metrics (default true). */
  readonly processMetrics?: boolean;
}

/** The metrics one agent exposes on `/metrics`. */
export class AgentMetrics {
  /** This agent's registry (private: not prom-client's global one). */
  readonly registry: Registry;
  private readonly reconciles: Counter<'result' | 'reason'>;
  private readonly duration: Histogram;
  private readonly stages: Histogram<'stage'>;
  /** Last outcome per `namespace/name`. */
  private readonly ready = new Map<string, boolean>();

  constructor(private readonly sources: MetricsSources = {}) {
    const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } = promClient();
    this.registry = new Registry();
    const registers = [this.registry];
    this.reconciles = new Counter({ name: 'sealops_reconcile_total', help: 'Reconciles by result and reason.', labelNames: ['result', 'reason'], registers });
    this.duration = new Histogram({ name: 'sealops_reconcile_duration_seconds', help: 'Time spent reconciling one Sync.', buckets: DURATION_BUCKETS, registers });
    this.stages = new Histogram({
      name: 'sealops_reconcile_stage_duration_seconds',
      help: 'Time spent in each stage of a reconcile (source, build, decrypt, apply, prune, health, drift, status).',
      labelNames: ['stage'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    const ready = this.ready;
    const current = (): Map<string, SyncObject> | undefined => {
      const list = sources.syncs?.();
      return list && new Map(list.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
    };
    new Gauge({
      name: 'sealops_sync_ready',
      help: 'Whether the last reconcile of a Sync succeeded (1) or failed (0).',
      labelNames: ['namespace', 'name'],
      registers,
      collect() {
        const known = current();
        this.reset();
        for (const [key, ok] of ready) {
          // A deleted Sync's series ends with it.
          if (known && !known.has(key)) ready.delete(key);
          else this.set(syncLabels(key), ok ? 1 : 0);
        }
      },
    });
    // Gauges read from each Sync's status at scrape time; a Sync without the field has no series.
    const fromStatus = (name: string, help: string, value: (status: NonNullable<SyncObject['status']>) => number | undefined): void => {
      new Gauge({
        name,
        help,
        labelNames: ['namespace', 'name'],
        registers,
        collect() {
          this.reset();
          for (const [key, sync] of current() ?? []) {
            const v = value(sync.status ?? {});
            if (v !== undefined) this.set(syncLabels(key), v);
          }
        },
      });
    };
    fromStatus('sealops_sync_healthy', 'The Healthy condition of a Sync with spec.wait: 1 True, 0 False or Unknown; absent without one.', (status) => {
      const healthy = status.conditions?.find((c) => c.type === 'Healthy');
      return healthy ? (healthy.status === 'True' ? 1 : 0) : undefined;
    });
    fromStatus('sealops_drift_objects', 'Objects that differed from git at the last drift check of a Sync; absent before the first check.', (status) =>
      Array.isArray(status.drift?.objects) ? status.drift.objects.length : undefined,
    );
    new Counter({
      name: 'sealops_api_requests_total',
      help: 'Requests sent to the Kubernetes API.',
      registers,
      collect() {
        // The client counts; the counter mirrors it at scrape time.
        this.reset();
        this.inc(sources.apiRequests?.() ?? 0);
      },
    });
    if (sources.processMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Records one reconcile of `sync` (`namespace/name`). */
  observe(sync: string, reason: string, ok: boolean, ms: number): void {
    this.reconciles.inc({ result: ok ? 'success' : 'failure', reason: reasonLabel(reason) });
    this.duration.observe(ms / 1000);
    this.ready.set(sync, ok);
  }

  /** Records one stage of a reconcile (a {@link StageObserver} of the agent). */
  readonly observeStage = (stage: ReconcileStage, seconds: number): void => {
    // The type says so; a stage added elsewhere without a label here must not mint one.
    if ((RECONCILE_STAGES as readonly string[]).includes(stage)) this.stages.observe({ stage }, seconds);
  };

  /** The Prometheus text exposition. */
  render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The content type of {@link render}'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}

function syncLabels(key: string): { namespace: string; name: string } {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
