// The agent's metrics on prom-client: today's names kept, stage histograms, drift and health
// gauges read from the Syncs, process metrics, a private registry, and labels that can carry
// no message.
import { describe, expect, it } from 'vitest';
import { register as globalRegistry } from 'prom-client';
import { AgentMetrics, RECONCILE_REASONS, reasonLabel } from '../../src/server/metrics.js';
import { stageReason } from '../../src/agent/status/index.js';
import { RECONCILE_STAGES } from '../../src/agent/stages.js';
import type { SyncObject } from '../../src/agent/sync.js';

function sync(namespace: string, name: string, status: SyncObject['status'] = {}): SyncObject {
  return { apiVersion: 'sealops.dev/v1alpha1', kind: 'Sync', metadata: { namespace, name }, spec: {}, status };
}

/** The value of the one sample line that starts with `series`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('AgentMetrics', () => {
  it('keeps the names of the hand-written exposition: reconciles, their duration, readiness, API requests', async () => {
    let requests = 41;
    const m = new AgentMetrics({ apiRequests: () => requests, processMetrics: false });
    m.observe('team-a/app', 'ReconciliationSucceeded', true, 1500);
    m.observe('team-a/app', 'ReconciliationSucceeded', true, 500);
    m.observe('team-b/db', 'DecryptionFailed', false, 20);
    requests = 42;
    const text = await m.render();
    expect(sample(text, 'sealops_reconcile_total{result="success",reason="ReconciliationSucceeded"}')).toBe(2);
    expect(sample(text, 'sealops_reconcile_total{result="failure",reason="DecryptionFailed"}')).toBe(1);
    expect(sample(text, 'sealops_reconcile_duration_seconds_count')).toBe(3);
    expect(sample(text, 'sealops_reconcile_duration_seconds_sum')).toBeCloseTo(2.02);
    expect(sample(text, 'sealops_reconcile_duration_seconds_bucket{le="1"}')).toBe(2);
    expect(sample(text, 'sealops_sync_ready{namespace="team-a",name="app"}')).toBe(1);
    expect(sample(text, 'sealops_sync_ready{namespace="team-b",name="db"}')).toBe(0);
    expect(sample(text, 'sealops_api_requests_total')).toBe(42);
    expect(text).toContain('# TYPE sealops_api_requests_total counter');
    expect(m.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('times every stage in its own histogram series', async () => {
    const m = new AgentMetrics({ processMetrics: false });
    for (const stage of RECONCILE_STAGES) m.observeStage(stage, 0.2);
    m.observeStage('apply', 3);
    const text = await m.render();
    for (const stage of RECONCILE_STAGES) expect(sample(text, `sealops_reconcile_stage_duration_seconds_count{stage="${stage}"}`)).toBe(stage === 'apply' ? 2 : 1);
    expect(sample(text, 'sealops_reconcile_stage_duration_seconds_bucket{le="2.5",stage="apply"}')).toBe(1);
    expect(sample(text, 'sealops_reconcile_stage_duration_seconds_sum{stage="apply"}')).toBeCloseTo(3.2);
  });

  it('counts a reason outside the fixed vocabulary as Other, so a message can never become a label', async () => {
    const m = new AgentMetrics({ processMetrics: false });
    const leaked = 'failed to decrypt db: password=hunter2-canary';
    m.observe('a/b', leaked, false, 1);
    m.observeStage('bogus-stage' as never, 1);
    const text = await m.render();
    expect(sample(text, 'sealops_reconcile_total{result="failure",reason="Other"}')).toBe(1);
    expect(text).not.toContain('hunter2-canary');
    expect(text).not.toContain('bogus-stage');
    expect(reasonLabel('ReconciliationSucceeded')).toBe('ReconciliationSucceeded');
  });

  it('knows every reason the pipeline stages report', () => {
    for (const stage of ['spec', 'build', 'keys', 'decrypt', 'apply', 'prune'] as const) expect(RECONCILE_REASONS.has(stageReason(stage))).toBe(true);
  });

  it('reads drift and health gauges from the Syncs, and forgets the readiness of a deleted Sync', async () => {
    let syncs: SyncObject[] = [
      sync('ns', 'drifting', {
        drift: { checkedTime: '2026-01-01T00:00:00Z', revision: 'main@sha1:1', mode: 'report', objects: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'a', paths: ['/data/x'] }, { apiVersion: 'v1', kind: 'Secret', name: 's', paths: ['/data/k'] }] },
        conditions: [{ type: 'Healthy', status: 'False', reason: 'HealthCheckFailed', message: 'Job ns/j not ready', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      }),
      sync('ns', 'calm', {
        drift: { checkedTime: '2026-01-01T00:00:00Z', revision: 'main@sha1:1', mode: 'correct', objects: [] },
        conditions: [{ type: 'Healthy', status: 'True', reason: 'Healthy', message: '', lastTransitionTime: '2026-01-01T00:00:00Z' }],
      }),
      sync('ns', 'new'),
    ];
    const m = new AgentMetrics({ syncs: () => syncs, processMetrics: false });
    m.observe('ns/new', 'ReconciliationSucceeded', true, 1);
    let text = await m.render();
    expect(sample(text, 'sealops_drift_objects{namespace="ns",name="drifting"}')).toBe(2);
    expect(sample(text, 'sealops_drift_objects{namespace="ns",name="calm"}')).toBe(0);
    expect(sample(text, 'sealops_drift_objects{namespace="ns",name="new"}')).toBeUndefined();
    expect(sample(text, 'sealops_sync_healthy{namespace="ns",name="drifting"}')).toBe(0);
    expect(sample(text, 'sealops_sync_healthy{namespace="ns",name="calm"}')).toBe(1);
    expect(sample(text, 'sealops_sync_healthy{namespace="ns",name="new"}')).toBeUndefined();
    expect(sample(text, 'sealops_sync_ready{namespace="ns",name="new"}')).toBe(1);
    syncs = syncs.filter((s) => s.metadata.name !== 'new' && s.metadata.name !== 'drifting');
    text = await m.render();
    expect(sample(text, 'sealops_sync_ready{namespace="ns",name="new"}')).toBeUndefined();
    expect(sample(text, 'sealops_drift_objects{namespace="ns",name="drifting"}')).toBeUndefined();
    expect(sample(text, 'sealops_drift_objects{namespace="ns",name="calm"}')).toBe(0);
  });

  it('keeps each agent on its own registry, never the global one', async () => {
    const a = new AgentMetrics({ processMetrics: false });
    const b = new AgentMetrics({ processMetrics: false });
    a.observe('x/y', 'ReconciliationSucceeded', true, 1);
    expect(sample(await a.render(), 'sealops_reconcile_duration_seconds_count')).toBe(1);
    expect(sample(await b.render(), 'sealops_reconcile_duration_seconds_count')).toBe(0);
    expect(await globalRegistry.metrics()).not.toContain('sealops_');
  });

  it('exposes the process and Node.js metrics unless told not to', async () => {
    const text = await new AgentMetrics().render();
    expect(sample(text, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes \d+/m);
    expect(text).toMatch(/^nodejs_version_info\{/m);
    expect(await new AgentMetrics({ processMetrics: false }).render()).not.toContain('process_cpu_user_seconds_total');
  });

  it('writes only well-formed exposition lines', async () => {
    const m = new AgentMetrics({ apiRequests: () => 3, syncs: () => [sync('ns', 'a')] });
    m.observe('ns/a', 'GitUnreachable', false, 12);
    m.observeStage('source', 0.01);
    // prom-client prints an empty event-loop histogram's mean as `Nan`; Prometheus parses special values case-insensitively.
    for (const line of (await m.render()).split('\n').filter(Boolean)) {
      expect(line).toMatch(/^(# (HELP|TYPE) [a-z_:][a-z0-9_:]* .+|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\\n]*",?)*\})? (-?[0-9.e+-]+|NaN|Nan|[+-]Inf))$/);
    }
  });
});
