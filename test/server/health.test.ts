// The agent's HTTP endpoint, served by the real listener: the status page with strict headers,
// no write method anywhere but the webhook, and prom-client's exposition on /metrics.
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startHealthServer, type HealthServerOptions } from '../../src/server/health.js';
import { AgentMetrics } from '../../src/server/metrics.js';
import type { SyncObject } from '../../src/agent/sync.js';

let server: Server | undefined;
afterEach(() => void server?.close());

const syncs: SyncObject[] = [{ apiVersion: 'sealops.dev/v1alpha1', kind: 'Sync', metadata: { namespace: 'ns', name: 'app' }, spec: { source: { url: 'file:///repo' } }, status: { lastAppliedRevision: 'main@sha1:abc' } }];

async function serve(extra: Partial<HealthServerOptions> = {}): Promise<string> {
  server = await startHealthServer({ port: 0, host: '127.0.0.1', isReady: () => true, metrics: new AgentMetrics({ processMetrics: false, syncs: () => syncs }), syncs: () => syncs, ...extra });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('the status page on /', () => {
  it('is HTML with a policy that allows nothing but its inline style', async () => {
    const res = await fetch(`${await serve()}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/^default-src 'none'; style-src 'unsafe-inline'(;|$)/);
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.text()).toContain('<code>main@sha1:abc</code>');
  });

  it('refuses every method but GET with 405, on the page and elsewhere', async () => {
    const base = await serve();
    for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      for (const path of ['/', '/metrics', '/healthz']) {
        const res = await fetch(`${base}${path}`, { method, body: method === 'DELETE' ? undefined : 'x' });
        expect(res.status, `${method} ${path}`).toBe(405);
        expect(res.headers.get('allow')).toBe('GET');
      }
    }
  });

  it('is not served when the agent gives no view of its Syncs', async () => {
    const res = await fetch(`${await serve({ syncs: undefined })}/`);
    expect(res.status).toBe(404);
  });

  it('answers 500, and the server lives on, when the Syncs cannot be read', async () => {
    const base = await serve({
      syncs: () => {
        throw new Error('boom');
      },
    });
    expect((await fetch(`${base}/`)).status).toBe(500);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
  });
});

describe('/metrics', () => {
  it('serves prom-client exposition with its content type', async () => {
    const res = await fetch(`${await serve()}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(await res.text()).toContain('# TYPE sealops_reconcile_stage_duration_seconds histogram');
  });
});
