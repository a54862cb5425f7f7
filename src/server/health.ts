/**
 * The agent's HTTP endpoint: `/` (the read-only status page), `/healthz` (the process is
 * alive), `/readyz` (Syncs are listed and watched), `/metrics` (Prometheus text, see
 * metrics.ts), the public keys, and `POST /v1/rotate` (authenticated SealedSecret re-encryption,
 * see reencrypt.ts). Nothing here writes to the cluster: the only other POST is the HMAC-verified
 * webhook, which triggers a reconcile.
 */
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AgentMetrics } from './metrics.js';
import { renderStatusPage } from './page.js';
import type { SyncObject } from '../agent/sync.js';
import { handleWebhook, type WebhookOptions } from './webhook.js';
import { handlePublicKeys, type PublicKeysSource } from './keys.js';
import { handleReencrypt, REENCRYPT_PATH, type ReencryptOptions } from './reencrypt.js';

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly isReady: () => boolean;
  readonly metrics: AgentMetrics;
  /** Enables the status page on `/`: the Syncs the agent manages, as its controller sees them. */
  readonly syncs?: () => readonly SyncObject[];
  /** Which Syncs those are (namespace, selector), shown on the page. */
  readonly scope?: string;
  /** Enables `POST /hook` (see webhook.ts). */
  readonly webhook?: WebhookOptions;
  /** Enables `GET /v1/cert.pem` and `GET /v1/recipients` (see keys.ts). */
  readonly publicKeys?: PublicKeysSource;
  /** Enables `POST /v1/rotate`, the authenticated SealedSecret re-encryption (see reencrypt.ts). */
  readonly reencrypt?: ReencryptOptions;
}

/** Starts the endpoint; resolves with the server once it listens. */
export async function startHealthServer(options: HealthServerOptions): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    setSecurityHeaders(res);
    if (path === '/hook' && options.webhook) {
      handleWebhook(req, res, options.webhook).catch(() => res.writeHead(500).end());
      return;
    }
    if (path === REENCRYPT_PATH && options.reencrypt) {
      handleReencrypt(req, res, options.reencrypt).catch(() => res.writeHead(500).end());
      return;
    }
    if (req.method !== 'GET') return void res.writeHead(405, { allow: 'GET' }).end();
    if (path === '/' && options.syncs) {
      let page: string;
      try {
        page = renderStatusPage(options.syncs(), { now: new Date(), ...(options.scope ? { scope: options.scope } : {}) });
      } catch {
        return void res.writeHead(500, { 'content-type': 'text/plain' }).end('failed to render the status page\n');
      }
      return void res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
    }
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ready = options.isReady();
      return void res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'not ready\n');
    }
    if (path === '/metrics') {
      options.metrics.render().then(
        (text) => res.writeHead(200, { 'content-type': options.metrics.contentType }).end(text),
        () => res.writeHead(500).end(),
      );
      return;
    }
    if (options.publicKeys && handlePublicKeys(path ?? '', req, res, options.publicKeys)) return;
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  return server;
}

/**
 * Headers of every response: the page needs nothing but its own inline style, may not be
 * framed, sniffed into another type, cached by a proxy, or leak its URL as a referrer.
 */
function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  res.setHeader('x-content-type-options', 'nosniff');
  res.setHeader('referrer-policy', 'no-referrer');
  res.setHeader('x-frame-options', 'DENY');
  res.setHeader('cache-control', 'no-store');
}
