// The public-key routes of the agent's HTTP endpoint, served by the real listener.
import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startHealthServer } from '../../src/server/health.js';
import { AgentMetrics } from '../../src/server/metrics.js';
import type { PublicKeys } from '../../src/agent/keys.js';
import type { KeySetInfo } from '../../src/agent/keysets.js';

let server: Server | undefined;
afterEach(() => void server?.close());

async function serve(keys: (PublicKeys & { keySets?: KeySetInfo[] }) | undefined): Promise<string> {
  server = await startHealthServer({ port: 0, host: '127.0.0.1', isReady: () => true, metrics: new AgentMetrics({ processMetrics: false }), publicKeys: () => keys });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('GET /v1/cert.pem and /v1/recipients', () => {
  it('serve the certificates as PEM text and the recipients one per line', async () => {
    const cert = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    const base = await serve({ recipients: ['age1one', 'age1two'], certificates: [cert, cert] });
    const pem = await fetch(`${base}/v1/cert.pem`);
    expect(pem.status).toBe(200);
    expect(pem.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await pem.text()).toBe(cert + cert);
    const rec = await fetch(`${base}/v1/recipients`);
    expect(rec.status).toBe(200);
    expect(await rec.text()).toBe('age1one\nage1two\n');
  });

  it('answer 404 while no key set is known or when it holds no certificate', async () => {
    let base = await serve(undefined);
    expect((await fetch(`${base}/v1/cert.pem`)).status).toBe(404);
    expect((await fetch(`${base}/v1/recipients`)).status).toBe(404);
    server?.close();
    base = await serve({ recipients: ['age1one'], certificates: [] });
    expect((await fetch(`${base}/v1/cert.pem`)).status).toBe(404);
    expect((await fetch(`${base}/v1/recipients`)).status).toBe(200);
  });

  it('are not served when the agent passes no key source', async () => {
    server = await startHealthServer({ port: 0, host: '127.0.0.1', isReady: () => true, metrics: new AgentMetrics({ processMetrics: false }) });
    expect((await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/recipients`)).status).toBe(404);
  });
});

describe('GET /v1/keysets', () => {
  it('serves every set with its state as JSON, and 404 before the sets are known', async () => {
    const keySets: KeySetInfo[] = [
      { fingerprint: 'ks-0000000000000001', createdAt: '2026-01-01T00:00:00Z', recipients: ['age1old'], certificates: [], state: 'retired', retiredAt: '2026-03-01T00:00:00Z' },
      { fingerprint: 'ks-0000000000000002', createdAt: '2026-02-01T00:00:00Z', recipients: ['age1new'], certificates: [], state: 'active' },
    ];
    let base = await serve({ recipients: ['age1new'], certificates: [], keySets });
    const res = await fetch(`${base}/v1/keysets`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual(keySets);
    server?.close();
    base = await serve({ recipients: ['age1new'], certificates: [] });
    expect((await fetch(`${base}/v1/keysets`)).status).toBe(404);
  });
});
