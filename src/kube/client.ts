/**
 * A small raw HTTP client for the Kubernetes API, using the kubeconfig's TLS and credentials.
 *
 * The apply engine must send manifests exactly as written: the typed models of
 * @kubernetes/client-node drop fields they do not know. So bodies are plain JSON here; TLS and
 * credentials come from ./config.ts.
 */
import https from 'node:https';
import http from 'node:http';
import { loadKubeConnection, type KubeConnection } from './config.js';
import { KubeError, describe } from '../errors.js';

/** A failed API call: HTTP status and the Status object's reason and message. */
export class KubeApiError extends KubeError {
  /** HTTP status (0 when the server could not be reached). */
  readonly status: number;
  /** `Status.reason` (NotFound, Conflict, Invalid, …) or a transport reason. */
  readonly reason: string;
  constructor(status: number, reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * A request refused or abandoned by the client itself: the write fence was closed (leadership
 * lost) or the reconcile's signal aborted (deadline, shutdown). Status 499, so no retry loop
 * takes it for a transient server error.
 */
export class RequestAbortedError extends KubeApiError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(499, 'Aborted', message, options);
  }
}

/**
 * Guards the requests of one reconcile. `signal` abandons requests in flight; `canWrite` is
 * asked before every request that changes something, so a replica that may have lost its
 * Lease sends no further write.
 */
export interface RequestFence {
  readonly signal: AbortSignal;
  readonly canWrite: () => boolean;
  /** Latest moment (epoch ms) a write may still be in flight; writes time out before it. */
  readonly writeDeadline?: () => number;
}

/** Default time limit of one request: a frozen API server must not hang the agent. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** Options of one request. */
export interface RequestOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  readonly query?: Readonly<Record<string, string | undefined>>;
  /** Milliseconds before the request is abandoned (default 30 s). */
  readonly timeoutMs?: number;
  /** Accept header (default application/json). */
  readonly accept?: string;
}

/** Loads a kubeconfig: the file given, in-cluster service account, or the default chain. */
export function loadKubeConfig(file?: string): KubeConnection {
  return loadKubeConnection(file);
}

/** Raw JSON client with a keep-alive connection pool and a request counter. */
export class KubeClient {
  /** Requests sent since creation (for the benchmark and metrics). */
  requests = 0;
  private readonly server: URL;
  private readonly agent: https.Agent | http.Agent;
  private cached: { at: number; opts: https.RequestOptions } | undefined;
  private fence: RequestFence | undefined;
  /** Where {@link fenced} views count their requests. */
  private root: KubeClient = this;

  constructor(private readonly conn: KubeConnection, maxSockets = 16) {
    this.server = new URL(conn.server);
    const Agent = this.server.protocol === 'http:' ? http.Agent : https.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  /**
   * A view of this client (same connections and credentials) whose requests obey `fence`:
   * aborted with its signal, and writes refused once `canWrite()` says no.
   */
  fenced(fence: RequestFence): KubeClient {
    const view = Object.create(this) as KubeClient;
    view.fence = fence;
    view.root = this.root;
    return view;
  }

  private checkFence(method: string, path: string): number | undefined {
    const fence = this.fence;
    if (!fence) return undefined;
    if (fence.signal.aborted) throw new RequestAbortedError(`failed to ${method.toLowerCase()} ${path}: ${describe(fence.signal.reason)}`);
    if (method === 'GET') return undefined;
    if (!fence.canWrite()) throw new RequestAbortedError(`failed to ${method.toLowerCase()} ${path}: this replica no longer holds the leader lease`);
    return fence.writeDeadline?.();
  }

  /** Closes pooled connections. */
  close(): void {
    this.agent.destroy();
  }

  private async options(): Promise<https.RequestOptions> {
    // Re-read credentials every minute: projected service-account tokens rotate.
    if (this.cached && Date.now() - this.cached.at < 60_000) return this.cached.opts;
    const opts: https.RequestOptions = {};
    await this.conn.apply(opts);
    this.cached = { at: Date.now(), opts };
    return opts;
  }

  /** Sends one request; resolves with the parsed JSON body, or throws KubeApiError for status ≥ 400. */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const writeDeadline = this.checkFence(method, path);
    const base = await this.options();
    const url = new URL(this.server.href.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    let timeout = options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // A write must not still be on its way when the Lease could pass to another replica.
    if (writeDeadline !== undefined) timeout = Math.max(1, Math.min(timeout, writeDeadline - Date.now()));
    const signal = this.fence?.signal;
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = { ...(base.headers as Record<string, string>), accept: options.accept ?? 'application/json' };
    if (payload) {
      headers['content-type'] = options.contentType ?? 'application/json';
      headers['content-length'] = payload.length;
    }
    this.root.requests++;
    const mod = url.protocol === 'http:' ? http : https;
    return new Promise<T>((resolve, reject) => {
      const req = mod.request(
        url,
        { ...base, method, headers, agent: this.agent, timeout, ...(signal ? { signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let body: unknown = undefined;
            try {
              body = text ? JSON.parse(text) : undefined;
            } catch {
              body = undefined;
            }
            if (status >= 400) {
              const st = (body ?? {}) as { reason?: string; message?: string };
              reject(new KubeApiError(status, st.reason ?? `HTTP${status}`, `failed to ${method.toLowerCase()} ${url.pathname}: ${st.message ?? `HTTP ${status}`}`));
            } else resolve(body as T);
          });
          res.on('error', (e) => reject(new KubeApiError(0, 'ConnectionFailed', `failed to read response of ${url.pathname}: ${e.message}`, { cause: e })));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`request timed out after ${timeout} ms`)));
      req.on('error', (e) => {
        if (signal?.aborted) reject(new RequestAbortedError(`failed to ${method.toLowerCase()} ${url.pathname}: ${describe(signal.reason)}`, { cause: e }));
        else reject(new KubeApiError(0, 'ConnectionFailed', `failed to reach the API server: ${e.message}`, { cause: e }));
      });
      req.end(payload);
    });
  }

  /**
   * Streams a watch on `path` (a collection URL): calls `onEvent` per event until the server
   * ends the stream, `signal` aborts, or an error occurs. Resolves when the stream ends.
   */
  async watch(path: string, query: Readonly<Record<string, string>>, onEvent: (type: string, object: unknown) => void, signal: AbortSignal): Promise<void> {
    const base = await this.options();
    const url = new URL(this.server.href.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries({ ...query, watch: 'true' })) url.searchParams.set(k, v);
    this.root.requests++;
    const mod = url.protocol === 'http:' ? http : https;
    await new Promise<void>((resolve, reject) => {
      const req = mod.request(url, { ...base, method: 'GET', headers: { ...(base.headers as Record<string, string>), accept: 'application/json' }, agent: false, signal }, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          res.resume();
          reject(new KubeApiError(res.statusCode ?? 0, `HTTP${res.statusCode}`, `failed to watch ${url.pathname}: HTTP ${res.statusCode}`));
          return;
        }
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buf += chunk;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl).trim();
            buf = buf.slice(nl + 1);
            if (!line) continue;
            try {
              const ev = JSON.parse(line) as { type: string; object: unknown };
              onEvent(ev.type, ev.object);
            } catch {
              // a partial or foreign line: ignore it, the next relist catches up
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', (e) => (signal.aborted ? resolve() : reject(e)));
      });
      req.on('error', (e) => (signal.aborted ? resolve() : reject(new KubeApiError(0, 'ConnectionFailed', `failed to watch ${url.pathname}: ${e.message}`, { cause: e }))));
      req.end();
    });
  }
}
