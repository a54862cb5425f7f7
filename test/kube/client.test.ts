// The client's write fence and time limits, seen from a loopback HTTP endpoint that records
// what reached it (the API server itself is exercised in test/e2e).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeClient, RequestAbortedError } from '../../src/kube/client.js';

let server: http.Server;
const seen: string[] = [];
let client: KubeClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    // /hang never answers: a frozen API server.
    if (req.url?.startsWith('/hang')) return;
    res.setHeader('content-type', 'application/json');
    res.end('{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new KubeClient({ server: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apply: () => Promise.resolve() });
});
afterAll(async () => {
  client.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('KubeClient.fenced', () => {
  it('sends reads but refuses writes once the fence closes, without sending them', async () => {
    let leader = true;
    const fenced = client.fenced({ signal: new AbortController().signal, canWrite: () => leader });
    await fenced.request('PATCH', '/w1', { body: {} });
    leader = false;
    await fenced.request('GET', '/r1');
    await expect(fenced.request('PATCH', '/w2', { body: {} })).rejects.toBeInstanceOf(RequestAbortedError);
    expect(seen).toContain('PATCH /w1');
    expect(seen).toContain('GET /r1');
    expect(seen).not.toContain('PATCH /w2');
  });

  it('abandons a request in flight when its signal aborts', async () => {
    const term = new AbortController();
    const fenced = client.fenced({ signal: term.signal, canWrite: () => true });
    const pending = fenced.request('PUT', '/hang/1', { body: {} });
    await new Promise<void>((r) => {
      const poll = (): void => (seen.includes('PUT /hang/1') ? r() : void setTimeout(poll, 10));
      poll();
    });
    term.abort(new Error('lost the lease'));
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestAbortedError);
    expect((err as Error).message).toContain('lost the lease');
  });

  it('times a write out no later than the write deadline', async () => {
    const fenced = client.fenced({ signal: new AbortController().signal, canWrite: () => true, writeDeadline: () => Date.now() + 50 });
    const err = await fenced.request('PUT', '/hang/2', { body: {}, timeoutMs: 600_000 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/timed out after \d+ ms/);
  });

  it('counts the requests of every view on the client they came from', async () => {
    const before = client.requests;
    await client.fenced({ signal: new AbortController().signal, canWrite: () => true }).request('GET', '/r2');
    expect(client.requests).toBe(before + 1);
  });
});
