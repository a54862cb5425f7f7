/**
 * The agent's HTTP endpoint: `/healthz` (the process is alive), `/readyz` (Syncs are listed
 * and watched), `/metrics` (Prometheus text). Labels carry Sync names and reasons only, never
 * anything read from a Secret.
 */
import { createServer, type Server } from 'node:http';
import { handleWebhook, type WebhookOptions } from './webhook.js';
import { handlePublicKeys, type PublicKeysSource } from './keys.js';
import { handleReencrypt, REENCRYPT_PATH, type ReencryptOptions } from './reencrypt.js';

/** Counters the agent updates. */
export class AgentMetrics {
  private readonly reconciles = new Map<string, number>();
  private durationSum = 0;
  private durationCount = 0;
  private readonly ready = new Map<string, boolean>();

  /** Records one reconcile. */
  observe(sync: string, reason: string, ok: boolean, ms: number): void {
    const key = `result="${ok ? 'success' : 'failure'}",reason="${reason}"`;
    this.reconciles.set(key, (this.reconciles.get(key) ?? 0) + 1);
    this.durationSum += ms / 1000;
    this.durationCount += 1;
    this.ready.set(sync, ok);
  }

  /** Prometheus text exposition. */
  render(apiRequests: number): string {
    const lines = ['# HELP sealops_reconcile_total Reconciles by result and reason.', '# TYPE sealops_reconcile_total counter'];
    for (const [k, v] of [...this.reconciles.entries()].sort()) lines.push(`sealops_reconcile_total{${k}} ${v}`);
    lines.push('# HELP sealops_reconcile_duration_seconds Time spent reconciling.', '# TYPE sealops_reconcile_duration_seconds summary');
    lines.push(`sealops_reconcile_duration_seconds_sum ${this.durationSum}`, `sealops_reconcile_duration_seconds_count ${this.durationCount}`);
    lines.push('# HELP sealops_sync_ready Whether the last reconcile of a Sync succeeded.', '# TYPE sealops_sync_ready gauge');
    for (const [sync, ok] of [...this.ready.entries()].sort()) {
      const [ns, name] = sync.split('/');
      lines.push(`sealops_sync_ready{namespace="${ns}",name="${name}"} ${ok ? 1 : 0}`);
    }
    lines.push('# HELP sealops_api_requests_total Requests sent to the Kubernetes API.', '# TYPE sealops_api_requests_total counter', `sealops_api_requests_total ${apiRequests}`);
    return `${lines.join('\n')}\n`;
  }
}

/** Options of {@link startHealthServer}. */
export interface HealthServerOptions {
  readonly port: number;
  readonly host?: string;
  readonly isReady: () => boolean;
  readonly metrics: AgentMetrics;
  readonly apiRequests: () => number;
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
    if (path === '/hook' && options.webhook) {
      handleWebhook(req, res, options.webhook).catch(() => res.writeHead(500).end());
      return;
    }
    if (path === REENCRYPT_PATH && options.reencrypt) {
      handleReencrypt(req, res, options.reencrypt).catch(() => res.writeHead(500).end());
      return;
    }
    if (req.method !== 'GET') return void res.writeHead(405).end();
    if (path === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    if (path === '/readyz') {
      const ready = options.isReady();
      return void res.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ok\n' : 'not ready\n');
    }
    if (path === '/metrics') {
      return void res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(options.metrics.render(options.apiRequests()));
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
